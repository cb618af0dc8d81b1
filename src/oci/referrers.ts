/** Copies signatures, attestations and SBOMs (cosign tags and OCI 1.1 referrers) without replacing the destination's own. */
import { emptyStats, readImageTree, writeImageTree, type CopyOptions, type CopyStats, type ImageSource } from './copy.js';
import { parseManifest } from './descriptors.js';
import { isSha256Digest, sha256Digest } from './digest.js';
import { isIndexMediaType, OCI_INDEX, type Descriptor, type ImageIndex, type ImageManifest } from './media-types.js';
import type { ManifestBytes, RegistryClient } from './registry.js';
import { RegistryError } from './transport/errors.js';
import type { Logger } from '../runtime.js';

/** How a referrer was found at the source. */
export type ReferrerRoute = 'tag' | 'api' | 'fallback-tag';

export interface CopiedReferrer {
  /** The digest it refers to. */
  subject: string;
  digest: string;
  mediaType: string;
  artifactType?: string;
  via: ReferrerRoute;
  /** The cosign-style tag it was copied under. */
  tag?: string;
  /** False when the destination already held it. */
  written: boolean;
}

export interface SkippedReferrer {
  subject: string;
  digest: string;
  reason: string;
}

export interface ReferrersDestination {
  client: RegistryClient;
  repository: string;
}

export interface CopyReferrersRequest {
  source: ImageSource;
  destination: ReferrersDestination;
  /**
   * Digests copied unchanged (never a mutated image's: its referrers would name a digest the
   * destination does not have). They must already be in the destination.
   */
  subjectDigests: string[];
  options: CopyOptions;
  /** Copy only OCI referrers of these artifact types; cosign tags are always copied. */
  artifactTypes?: string[];
  /** Also look at the child manifests of an index subject (attestations are often per platform). Default true. */
  includeChildren?: boolean;
  /** Levels of referrers to follow, e.g. 2 also copies a signature on an SBOM. Default 2. */
  maxDepth?: number;
}

export interface CopyReferrersResult {
  copied: CopiedReferrer[];
  skipped: SkippedReferrer[];
  /** `sha256-<hex>` index tags written or updated at the destination, which has no referrers API. */
  fallbackTagsWritten: string[];
  stats: CopyStats;
}

export const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** `sha256:abc…` → `sha256-abc…`, the OCI 1.1 fallback tag of a subject's referrers index. */
export function fallbackTag(digest: string): string {
  if (!isSha256Digest(digest)) throw new Error(`"${digest}" is not a sha256 digest`);
  return digest.replace(':', '-');
}

/** Cosign's tags for signatures, attestations and SBOMs of `digest`. */
export function cosignTags(digest: string): string[] {
  const base = fallbackTag(digest);
  return COSIGN_SUFFIXES.map((suffix) => `${base}.${suffix}`);
}

/**
 * Adds referrer descriptors to a referrers index, keeping every entry already there (the
 * destination may have signatures of its own). `changed` is false when nothing was added.
 */
export function mergeReferrersIndex(existing: ImageIndex | undefined, additions: Descriptor[]): { index: ImageIndex; changed: boolean } {
  const manifests = [...(existing?.manifests ?? [])];
  const known = new Set(manifests.map((entry) => entry.digest));
  for (const entry of additions) {
    if (known.has(entry.digest)) continue;
    known.add(entry.digest);
    manifests.push(entry);
  }
  const base: ImageIndex = existing ?? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  return { index: { ...base, manifests }, changed: existing === undefined || manifests.length !== (existing.manifests ?? []).length };
}

/** The descriptor a referrers list carries for a manifest: its artifact type and annotations. */
export function referrerDescriptor(manifest: ManifestBytes): Descriptor {
  const parsed = JSON.parse(manifest.bytes.toString('utf8')) as Partial<ImageManifest & ImageIndex>;
  const artifactType = parsed.artifactType ?? parsed.config?.mediaType;
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.length,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(parsed.annotations !== undefined ? { annotations: parsed.annotations } : {}),
  };
}

interface Discovered {
  via: 'api' | 'fallback-tag';
  entries: Descriptor[];
  /** The source's fallback index exactly as served, to copy byte-exact when nothing differs. */
  sourceIndex?: ManifestBytes;
}

/**
 * Copies what refers to the given digests from the source repository to the destination one:
 * cosign-style `sha256-<hex>.sig/.att/.sbom` tags, and OCI 1.1 referrers found through the
 * referrers API or its fallback tag. Each referrer is written by digest, blobs first, byte-exact.
 * When the destination has no referrers API, its `sha256-<hex>` fallback index is kept up to
 * date, merged with what is already there.
 */
export async function copyReferrers(request: CopyReferrersRequest): Promise<CopyReferrersResult> {
  const { source, destination, options } = request;
  const { logger } = options.runtime;
  const maxDepth = request.maxDepth ?? 2;
  const wanted = request.artifactTypes === undefined || request.artifactTypes.length === 0 ? undefined : new Set(request.artifactTypes);
  const result: CopyReferrersResult = { copied: [], skipped: [], fallbackTagsWritten: [], stats: emptyStats() };
  let destinationHasApi: boolean | undefined;

  const subjects: { digest: string; depth: number }[] = [];
  const seen = new Set<string>();
  const addSubject = (digest: string, depth: number): void => {
    if (seen.has(digest) || depth > maxDepth) return;
    seen.add(digest);
    subjects.push({ digest, depth });
  };
  for (const digest of request.subjectDigests) {
    if (!isSha256Digest(digest)) throw new Error(`referrers: subject "${digest}" is not a sha256 digest`);
    if ((request.includeChildren ?? true) === false) {
      addSubject(digest, 1);
      continue;
    }
    // Read from the destination, not the source: Docker Hub counts manifest GETs against its pull limit.
    const head = await destination.client.headManifest(destination.repository, digest);
    if (head === undefined) {
      logger.warning(`${destination.repository}: ${digest} is not in the destination, so its signatures and attestations are not copied`);
      continue;
    }
    addSubject(digest, 1);
    if (isIndexMediaType(head.mediaType)) {
      const index = await destination.client.getManifest(destination.repository, digest);
      const parsed = parseManifest(index.bytes, `${destination.client.registry}/${destination.repository}@${digest}`);
      for (const child of parsed.manifests) if (isSha256Digest(child.digest)) addSubject(child.digest, 1);
    }
  }

  /** Writes one referrer tree unless the destination has it; false when it was skipped. */
  const copyOne = async (subject: string, digest: string, via: ReferrerRoute, tag: string | undefined, entry: Descriptor | undefined): Promise<boolean> => {
    const { client, repository } = destination;
    const present = await client.headManifest(repository, digest);
    const tagged = tag === undefined ? undefined : await client.headManifest(repository, tag);
    const base = {
      subject,
      digest,
      via,
      ...(tag !== undefined ? { tag } : {}),
    };
    if (tag !== undefined && tagged !== undefined && tagged.digest !== digest) {
      // A counter-signature or the destination's own attestation: it cannot be merged byte-safely, so it stays.
      logger.warning(
        `${client.registry}/${repository}:${tag} holds ${tagged.digest}, not the source's ${digest}; ` +
          `kept, since a destination's own signature is never replaced`,
      );
      result.skipped.push({ subject, digest, reason: `the destination's ${tag} holds ${tagged.digest}` });
      return false;
    }
    if (present !== undefined) {
      const written = tag !== undefined && tagged === undefined;
      // The content is there already; only the tag is added, without another pull from the source.
      if (written) await client.putManifest(repository, tag, await client.getManifest(repository, digest));
      const artifactType = entry?.artifactType;
      result.copied.push({ ...base, mediaType: present.mediaType, ...(artifactType !== undefined ? { artifactType } : {}), written });
      return true;
    }
    let tree;
    try {
      tree = await readImageTree(source, digest);
    } catch (error) {
      throw new Error(`referrer ${digest} of ${subject} in ${source.client.registry}/${source.repository}: ${(error as Error).message}`, { cause: error });
    }
    const parsed = parseManifest(tree.root.bytes, `${source.client.registry}/${source.repository}@${digest}`);
    if (via !== 'tag' && parsed.subject?.digest !== subject) {
      const reason = `its subject is ${parsed.subject?.digest ?? 'missing'}, not ${subject}`;
      logger.warning(`${source.repository}: referrer ${digest} is listed for ${subject} but ${reason}; not copied`);
      result.skipped.push({ subject, digest, reason });
      return false;
    }
    const stats = await writeImageTree(tree, { client, repository, tags: tag === undefined ? [] : [tag] }, options);
    addStats(result.stats, stats);
    const artifactType = entry?.artifactType ?? referrerDescriptor(tree.root).artifactType;
    result.copied.push({ ...base, mediaType: tree.root.mediaType, ...(artifactType !== undefined ? { artifactType } : {}), written: true });
    return true;
  };

  for (let i = 0; i < subjects.length; i++) {
    const { digest: subject, depth } = subjects[i]!;

    if (depth === 1) {
      const heads = await Promise.all(cosignTags(subject).map(async (tag) => ({ tag, head: await source.client.headManifest(source.repository, tag) })));
      for (const { tag, head } of heads) {
        if (head !== undefined) await copyOne(subject, head.digest, 'tag', tag, undefined);
      }
    }

    const discovered = await discoverReferrers(source, subject, logger);
    if (discovered === undefined) continue;
    const copiedEntries: Descriptor[] = [];
    for (const entry of discovered.entries) {
      if (!isSha256Digest(entry.digest)) {
        result.skipped.push({ subject, digest: entry.digest, reason: 'not a sha256 digest' });
        continue;
      }
      if (wanted !== undefined && !wanted.has(entry.artifactType ?? '')) {
        result.skipped.push({ subject, digest: entry.digest, reason: `artifact type ${entry.artifactType ?? 'none'} not selected` });
        continue;
      }
      if (await copyOne(subject, entry.digest, discovered.via, undefined, entry)) {
        copiedEntries.push(entry);
        addSubject(entry.digest, depth + 1);
      }
    }
    if (copiedEntries.length === 0) continue;

    destinationHasApi ??= (await listReferrersIfAllowed(destination, subject, logger)) !== undefined;
    if (destinationHasApi) continue;
    const tag = await updateFallbackTag(destination, subject, copiedEntries, discovered);
    if (tag !== undefined) result.fallbackTagsWritten.push(tag);
  }
  return result;
}

/** The source's referrers of `subject`: the API when it answers, else the fallback tag. */
async function discoverReferrers(source: ImageSource, subject: string, logger: Logger): Promise<Discovered | undefined> {
  const listed = await listReferrersIfAllowed(source, subject, logger);
  if (listed !== undefined) return listed.length === 0 ? undefined : { via: 'api', entries: listed };
  const tag = fallbackTag(subject);
  const head = await source.client.headManifest(source.repository, tag);
  if (head === undefined) return undefined;
  const index = await source.client.getManifest(source.repository, tag);
  if (!isIndexMediaType(index.mediaType)) {
    throw new RegistryError(`${source.client.registry}/${source.repository}:${tag} should be a referrers index but is ${index.mediaType}`, undefined, undefined, false);
  }
  const parsed = parseManifest(index.bytes, `${source.client.registry}/${source.repository}:${tag}`);
  return { via: 'fallback-tag', entries: parsed.manifests, sourceIndex: index };
}

/** The referrers API's answer; a registry that denies it (IAM without the permission) counts as having none. */
async function listReferrersIfAllowed(at: { client: RegistryClient; repository: string }, subject: string, logger: Logger): Promise<Descriptor[] | undefined> {
  try {
    return await at.client.listReferrers(at.repository, subject);
  } catch (error) {
    if (!(error instanceof RegistryError) || (error.status !== 401 && error.status !== 403)) throw error;
    logger.debug(`${at.client.registry}/${at.repository}: referrers API not allowed (${error.status}); using the fallback tag scheme`);
    return undefined;
  }
}

/**
 * Adds referrers to the destination's `sha256-<hex>` index and writes it only when it changed.
 * The source's index is copied byte-exact when the destination has none and the entries agree.
 */
async function updateFallbackTag(destination: ReferrersDestination, subject: string, entries: Descriptor[], discovered: Discovered): Promise<string | undefined> {
  const { client, repository } = destination;
  const tag = fallbackTag(subject);
  const current = await client.headManifest(repository, tag);
  let existing: ImageIndex | undefined;
  if (current !== undefined) {
    const manifest = await client.getManifest(repository, tag);
    if (!isIndexMediaType(manifest.mediaType)) {
      throw new RegistryError(`${client.registry}/${repository}:${tag} holds a ${manifest.mediaType}, not a referrers index; not overwritten`, undefined, undefined, false);
    }
    existing = JSON.parse(manifest.bytes.toString('utf8')) as ImageIndex;
  }
  const sourceIndex = discovered.sourceIndex;
  if (existing === undefined && sourceIndex !== undefined && sameDigests(discovered.entries, entries)) {
    await client.putManifest(repository, tag, sourceIndex);
    return tag;
  }
  const { index, changed } = mergeReferrersIndex(existing, entries);
  if (!changed) return undefined;
  const bytes = Buffer.from(JSON.stringify(index));
  await client.putManifest(repository, tag, { bytes, mediaType: OCI_INDEX, digest: sha256Digest(bytes) });
  return tag;
}

function sameDigests(a: Descriptor[], b: Descriptor[]): boolean {
  const left = new Set(a.map((d) => d.digest));
  const right = new Set(b.map((d) => d.digest));
  return left.size === right.size && [...left].every((digest) => right.has(digest));
}

function addStats(into: CopyStats, add: CopyStats): void {
  into.bytesUploaded += add.bytesUploaded;
  into.bytesMounted += add.bytesMounted;
  into.bytesSkipped += add.bytesSkipped;
  into.blobsUploaded += add.blobsUploaded;
  into.blobsMounted += add.blobsMounted;
  into.blobsSkipped += add.blobsSkipped;
  into.foreignLayers.push(...add.foreignLayers);
}
