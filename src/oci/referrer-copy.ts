/** Copies the referrers of digests (cosign tags, OCI 1.1 referrers) from a source repository to a destination one. */
import { emptyStats, readImageTree, writeImageTree } from './copy.js';
import { parseManifest } from './descriptors.js';
import { isSha256Digest } from './digest.js';
import { isIndexMediaType, type Descriptor } from './media-types.js';
import {
  addStats,
  cosignTags,
  discoverReferrers,
  listReferrersIfAllowed,
  referrerDescriptor,
  updateFallbackTag,
  type CopyReferrersRequest,
  type CopyReferrersResult,
  type ReferrerRoute,
} from './referrers.js';

/**
 * Copies what refers to the given digests from the source repository to the destination one:
 * cosign-style `sha256-<hex>.sig/.att/.sbom` tags, and OCI 1.1 referrers found through the
 * referrers API or its fallback tag. Each referrer is written by digest, blobs first, byte-exact.
 * When the destination has no referrers API, its `sha256-<hex>` fallback index is kept up to
 * date, merged with what is already there.
 */
export async function copyReferrers(request: CopyReferrersRequest): Promise<CopyReferrersResult> {
  const copy = new ReferrerCopy(request);
  await copy.collectSubjects();
  return copy.run();
}

class ReferrerCopy {
  readonly result: CopyReferrersResult = { copied: [], skipped: [], fallbackTagsWritten: [], stats: emptyStats() };
  private readonly subjects: { digest: string; depth: number }[] = [];
  private readonly seen = new Set<string>();
  private readonly maxDepth: number;
  private readonly wanted: ReadonlySet<string> | undefined;
  private destinationHasApi: boolean | undefined;

  constructor(private readonly request: CopyReferrersRequest) {
    this.maxDepth = request.maxDepth ?? 2;
    const types = request.artifactTypes;
    this.wanted = types === undefined || types.length === 0 ? undefined : new Set(types);
  }

  private addSubject(digest: string, depth: number): void {
    if (this.seen.has(digest) || depth > this.maxDepth) return;
    this.seen.add(digest);
    this.subjects.push({ digest, depth });
  }

  /** The given digests and, for an index, its children, as far as the destination has them. */
  async collectSubjects(): Promise<void> {
    const { destination, options } = this.request;
    const { client, repository } = destination;
    for (const digest of this.request.subjectDigests) {
      if (!isSha256Digest(digest)) throw new Error(`referrers: subject "${digest}" is not a sha256 digest`);
      if ((this.request.includeChildren ?? true) === false) {
        this.addSubject(digest, 1);
        continue;
      }
      // Read from the destination, not the source: Docker Hub counts manifest GETs against its pull limit.
      const head = await client.headManifest(repository, digest);
      if (head === undefined) {
        options.runtime.logger.warning(
          `${repository}: ${digest} is not in the destination, so its signatures and attestations are not copied`,
        );
        continue;
      }
      this.addSubject(digest, 1);
      if (isIndexMediaType(head.mediaType)) {
        const index = await client.getManifest(repository, digest);
        const parsed = parseManifest(index.bytes, `${client.registry}/${repository}@${digest}`);
        for (const child of parsed.manifests) if (isSha256Digest(child.digest)) this.addSubject(child.digest, 1);
      }
    }
  }

  async run(): Promise<CopyReferrersResult> {
    const { source, destination, options } = this.request;
    for (let i = 0; i < this.subjects.length; i++) {
      const { digest: subject, depth } = this.subjects[i]!;
      if (depth === 1) {
        const tags = cosignTags(subject);
        const heads = await Promise.all(
          tags.map(async (tag) => ({ tag, head: await source.client.headManifest(source.repository, tag) })),
        );
        for (const { tag, head } of heads)
          if (head !== undefined) await this.copyOne(subject, head.digest, 'tag', tag, undefined);
      }
      const discovered = await discoverReferrers(source, subject, options.runtime.logger);
      if (discovered === undefined) continue;
      const copiedEntries: Descriptor[] = [];
      for (const entry of discovered.entries) {
        if (!this.selected(subject, entry)) continue;
        if (await this.copyOne(subject, entry.digest, discovered.via, undefined, entry)) {
          copiedEntries.push(entry);
          this.addSubject(entry.digest, depth + 1);
        }
      }
      if (copiedEntries.length === 0) continue;
      this.destinationHasApi ??=
        (await listReferrersIfAllowed(destination, subject, options.runtime.logger)) !== undefined;
      if (this.destinationHasApi) continue;
      const tag = await updateFallbackTag(destination, subject, copiedEntries, discovered);
      if (tag !== undefined) this.result.fallbackTagsWritten.push(tag);
    }
    return this.result;
  }

  private selected(subject: string, entry: Descriptor): boolean {
    if (!isSha256Digest(entry.digest)) {
      this.result.skipped.push({ subject, digest: entry.digest, reason: 'not a sha256 digest' });
      return false;
    }
    if (this.wanted !== undefined && !this.wanted.has(entry.artifactType ?? '')) {
      this.result.skipped.push({
        subject,
        digest: entry.digest,
        reason: `artifact type ${entry.artifactType ?? 'none'} not selected`,
      });
      return false;
    }
    return true;
  }

  /** Writes one referrer tree unless the destination has it; false when it was skipped. */
  private async copyOne(
    subject: string,
    digest: string,
    via: ReferrerRoute,
    tag: string | undefined,
    entry: Descriptor | undefined,
  ): Promise<boolean> {
    const { source, destination, options } = this.request;
    const { logger } = options.runtime;
    const { client, repository } = destination;
    const present = await client.headManifest(repository, digest);
    const tagged = tag === undefined ? undefined : await client.headManifest(repository, tag);
    const base = { subject, digest, via, ...(tag !== undefined ? { tag } : {}) };
    if (tag !== undefined && tagged !== undefined && tagged.digest !== digest) {
      // A counter-signature or the destination's own attestation: it cannot be merged byte-safely, so it stays.
      logger.warning(
        `${client.registry}/${repository}:${tag} holds ${tagged.digest}, not the source's ${digest}; ` +
          `kept, since a destination's own signature is never replaced`,
      );
      this.result.skipped.push({ subject, digest, reason: `the destination's ${tag} holds ${tagged.digest}` });
      return false;
    }
    if (present !== undefined) {
      const written = tag !== undefined && tagged === undefined;
      // The content is there already; only the tag is added, without another pull from the source.
      if (written) await client.putManifest(repository, tag, await client.getManifest(repository, digest));
      const artifactType = entry?.artifactType;
      this.result.copied.push({
        ...base,
        mediaType: present.mediaType,
        ...(artifactType !== undefined ? { artifactType } : {}),
        written,
      });
      return true;
    }
    let tree;
    try {
      tree = await readImageTree(source, digest);
    } catch (error) {
      throw new Error(
        `referrer ${digest} of ${subject} in ${source.client.registry}/${source.repository}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const parsed = parseManifest(tree.root.bytes, `${source.client.registry}/${source.repository}@${digest}`);
    if (via !== 'tag' && parsed.subject?.digest !== subject) {
      const reason = `its subject is ${parsed.subject?.digest ?? 'missing'}, not ${subject}`;
      logger.warning(`${source.repository}: referrer ${digest} is listed for ${subject} but ${reason}; not copied`);
      this.result.skipped.push({ subject, digest, reason });
      return false;
    }
    const stats = await writeImageTree(tree, { client, repository, tags: tag === undefined ? [] : [tag] }, options);
    addStats(this.result.stats, stats);
    const artifactType = entry?.artifactType ?? referrerDescriptor(tree.root).artifactType;
    this.result.copied.push({
      ...base,
      mediaType: tree.root.mediaType,
      ...(artifactType !== undefined ? { artifactType } : {}),
      written: true,
    });
    return true;
  }
}
