/** Referrers: cosign tag names, OCI 1.1 discovery (API or fallback tag), and the destination's merged fallback index. */
import type { CopyOptions, CopyStats, ImageSource } from './copy.js';
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
export function mergeReferrersIndex(
  existing: ImageIndex | undefined,
  additions: Descriptor[],
): { index: ImageIndex; changed: boolean } {
  const manifests = [...(existing?.manifests ?? [])];
  const known = new Set(manifests.map((entry) => entry.digest));
  for (const entry of additions) {
    if (known.has(entry.digest)) continue;
    known.add(entry.digest);
    manifests.push(entry);
  }
  const base: ImageIndex = existing ?? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  return {
    index: { ...base, manifests },
    changed: existing === undefined || manifests.length !== (existing.manifests ?? []).length,
  };
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

export interface Discovered {
  via: 'api' | 'fallback-tag';
  entries: Descriptor[];
  /** The source's fallback index exactly as served, to copy byte-exact when nothing differs. */
  sourceIndex?: ManifestBytes;
}

/** The source's referrers of `subject`: the API when it answers, else the fallback tag. */
export async function discoverReferrers(
  source: ImageSource,
  subject: string,
  logger: Logger,
): Promise<Discovered | undefined> {
  const listed = await listReferrersIfAllowed(source, subject, logger);
  if (listed !== undefined) return listed.length === 0 ? undefined : { via: 'api', entries: listed };
  const tag = fallbackTag(subject);
  const head = await source.client.headManifest(source.repository, tag);
  if (head === undefined) return undefined;
  const index = await source.client.getManifest(source.repository, tag);
  if (!isIndexMediaType(index.mediaType)) {
    throw new RegistryError(
      `${source.client.registry}/${source.repository}:${tag} should be a referrers index but is ${index.mediaType}`,
      undefined,
      undefined,
      false,
    );
  }
  const parsed = parseManifest(index.bytes, `${source.client.registry}/${source.repository}:${tag}`);
  return { via: 'fallback-tag', entries: parsed.manifests, sourceIndex: index };
}

/** The referrers API's answer; a registry that denies it (IAM without the permission) counts as having none. */
export async function listReferrersIfAllowed(
  at: { client: RegistryClient; repository: string },
  subject: string,
  logger: Logger,
): Promise<Descriptor[] | undefined> {
  try {
    return await at.client.listReferrers(at.repository, subject);
  } catch (error) {
    if (!(error instanceof RegistryError) || (error.status !== 401 && error.status !== 403)) throw error;
    logger.debug(
      `${at.client.registry}/${at.repository}: referrers API not allowed (${error.status}); using the fallback tag scheme`,
    );
    return undefined;
  }
}

/**
 * Adds referrers to the destination's `sha256-<hex>` index and writes it only when it changed.
 * The source's index is copied byte-exact when the destination has none and the entries agree.
 */
export async function updateFallbackTag(
  destination: ReferrersDestination,
  subject: string,
  entries: Descriptor[],
  discovered: Discovered,
): Promise<string | undefined> {
  const { client, repository } = destination;
  const tag = fallbackTag(subject);
  const current = await client.headManifest(repository, tag);
  let existing: ImageIndex | undefined;
  if (current !== undefined) {
    const manifest = await client.getManifest(repository, tag);
    if (!isIndexMediaType(manifest.mediaType)) {
      throw new RegistryError(
        `${client.registry}/${repository}:${tag} holds a ${manifest.mediaType}, not a referrers index; not overwritten`,
        undefined,
        undefined,
        false,
      );
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

export function addStats(into: CopyStats, add: CopyStats): void {
  into.bytesUploaded += add.bytesUploaded;
  into.bytesMounted += add.bytesMounted;
  into.bytesSkipped += add.bytesSkipped;
  into.blobsUploaded += add.blobsUploaded;
  into.blobsMounted += add.blobsMounted;
  into.blobsSkipped += add.blobsSkipped;
  into.foreignLayers.push(...add.foreignLayers);
}
