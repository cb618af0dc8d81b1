/** Copies image trees between registries: reads every manifest, then writes blobs, manifests and tags in a safe order. */
import type { Runtime } from '../runtime.js';
import type { BlobLocations, TransferLimiter } from './transfer.js';
import { manifestsChildrenFirst, writeBlobs } from './write-blobs.js';

export { manifestsChildrenFirst };
import {
  isAttestationEntry,
  isImageManifestMediaType,
  isIndexMediaType,
  platformString,
  type Descriptor,
  type Platform,
} from './media-types.js';
import { parseManifest } from './descriptors.js';
import type { ManifestBytes, RegistryClient } from './registry.js';
import type { BlobSpool } from './spool.js';

/** One manifest of an image tree, with its bytes exactly as served (or as built, for a mutation). */
export interface ManifestNode extends ManifestBytes {
  platform?: Platform;
  /** Child manifests of an index, in index order. */
  children: ManifestNode[];
  /** Config and layers of an image manifest. */
  blobs: Descriptor[];
}

/** Where an image is read from. */
export interface ImageSource {
  client: RegistryClient;
  repository: string;
}

/** A whole image: the root manifest, its children, and where their blobs come from. */
export interface ImageTree {
  source: ImageSource;
  root: ManifestNode;
  /** Blobs that exist only in memory (made by a mutation), by digest. */
  localBlobs: Map<string, Uint8Array>;
}

export interface CopyStats {
  bytesUploaded: number;
  bytesMounted: number;
  bytesSkipped: number;
  blobsUploaded: number;
  blobsMounted: number;
  blobsSkipped: number;
  foreignLayers: string[];
}

export interface ImageDestination {
  client: RegistryClient;
  repository: string;
  tags: string[];
  /** Created by this run: it holds only what this run wrote, so nothing else is asked for (no HEADs). */
  fresh?: boolean;
}

export interface CopyOptions {
  runtime: Runtime;
  spool: BlobSpool;
  locations: BlobLocations;
  /** Blob transfers at once. */
  concurrency: number;
  /** Shared by images copied at the same time, so `concurrency` bounds them all together. */
  limiter?: TransferLimiter;
  /** Blobs of this image already written (or being written) by an earlier `writeBlobs`, and what that moved. */
  prewritten?: PrewrittenBlobs;
  /** True once the run gave up: blob transfers not yet started fail instead. */
  stopped?: () => boolean;
  /** Bytes moved so far for this image (uploaded or mounted), for progress lines. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface PrewrittenBlobs {
  digests: ReadonlySet<string>;
  stats: Promise<CopyStats>;
}

export function emptyStats(): CopyStats {
  return {
    bytesUploaded: 0,
    bytesMounted: 0,
    bytesSkipped: 0,
    blobsUploaded: 0,
    blobsMounted: 0,
    blobsSkipped: 0,
    foreignLayers: [],
  };
}

/** Adds `more` into `stats`. */
export function addStats(stats: CopyStats, more: CopyStats): void {
  for (const key of [
    'bytesUploaded',
    'bytesMounted',
    'bytesSkipped',
    'blobsUploaded',
    'blobsMounted',
    'blobsSkipped',
  ] as const)
    stats[key] += more[key];
  stats.foreignLayers.push(...more.foreignLayers.filter((digest) => !stats.foreignLayers.includes(digest)));
}

/** Reads a root manifest and, for an index, every child manifest by digest. */
export async function readImageTree(source: ImageSource, reference: string): Promise<ImageTree> {
  const root = await readNode(source, reference, undefined, undefined, 0);
  return { source, root, localBlobs: new Map() };
}

async function readNode(
  source: ImageSource,
  reference: string,
  expectedDigest: string | undefined,
  platform: Platform | undefined,
  depth: number,
): Promise<ManifestNode> {
  if (depth > 3) throw new Error(`${source.repository}@${reference}: indexes nested too deeply`);
  const manifest = await source.client.getManifest(source.repository, reference, expectedDigest);
  const node: ManifestNode = { ...manifest, children: [], blobs: [], ...(platform !== undefined ? { platform } : {}) };
  // Every descriptor is checked here, before anything is fetched or written by its digest.
  const parsed = parseManifest(manifest.bytes, `${source.client.registry}/${source.repository}@${manifest.digest}`);
  if (isIndexMediaType(manifest.mediaType)) {
    for (const entry of parsed.manifests) {
      node.children.push(await readNode(source, entry.digest, entry.digest, entry.platform, depth + 1));
    }
  } else if (isImageManifestMediaType(manifest.mediaType) || parsed.config !== undefined) {
    if (parsed.config === undefined)
      throw new Error(`${source.repository}@${manifest.digest}: image manifest without a config`);
    node.blobs.push(parsed.config, ...parsed.layers);
  }
  return node;
}

/** The platform images of a tree: the root itself, or each runnable entry of an index (attestations left out). */
export function platformNodes(tree: ImageTree): ManifestNode[] {
  if (tree.root.children.length === 0) return [tree.root];
  return tree.root.children.filter(
    (child) => child.platform === undefined || !isAttestationEntry({ platform: child.platform } as Descriptor),
  );
}

/** `os/arch[/variant]` of each platform image; a single manifest names its platform only in its config. */
export function platformsOf(tree: ImageTree, singlePlatform = 'unknown'): string[] {
  return tree.root.children.length === 0
    ? [singlePlatform]
    : platformNodes(tree).map((node) => platformString(node.platform));
}

/**
 * Writes an image tree: blobs, then child manifests by digest, then the root by digest, then the
 * tags. A failure at any step leaves no tag pointing at incomplete content. When the root is
 * already in the destination, only tags that differ are written.
 */
export async function writeImageTree(
  tree: ImageTree,
  destination: ImageDestination,
  options: CopyOptions,
): Promise<CopyStats> {
  const stats = emptyStats();
  const { client, repository } = destination;
  const registry = client.registry;
  const present = destination.fresh === true ? undefined : await client.headManifest(repository, tree.root.digest);

  if (present === undefined) {
    if (options.prewritten !== undefined) addStats(stats, await options.prewritten.stats);
    await writeBlobs(tree, destination, options, stats, options.prewritten?.digests);
    // Children by digest; the root by digest only when no tag will name it.
    for (const node of manifestsChildrenFirst(tree.root)) {
      if (node !== tree.root || destination.tags.length === 0) {
        await client.putManifest(repository, node.digest, node);
        referencedNow(options, registry, repository, node);
      }
    }
  }
  for (const tag of destination.tags) {
    const current = present === undefined ? undefined : await client.headManifest(repository, tag);
    if (current?.digest !== tree.root.digest) await client.putManifest(repository, tag, tree.root);
    referencedNow(options, registry, repository, tree.root);
  }
  return stats;
}

/** Its blobs may now be mounted from `repository`, also where ECR's rule holds. */
function referencedNow(options: CopyOptions, registry: string, repository: string, node: ManifestNode): void {
  options.locations.recordManifest(
    registry,
    repository,
    node.blobs.map((blob) => blob.digest),
  );
}

/** True when every tag already names `digest` (a re-run's fast path: one HEAD per tag). */
export async function tagsAlreadyAt(destination: ImageDestination, digest: string): Promise<boolean> {
  if (destination.tags.length === 0)
    return (await destination.client.headManifest(destination.repository, digest)) !== undefined;
  for (const tag of destination.tags) {
    if ((await destination.client.headManifest(destination.repository, tag))?.digest !== digest) return false;
  }
  return true;
}

export interface CopyResult {
  digest: string;
  mediaType: string;
  upToDate: boolean;
  stats: CopyStats;
}

/** Copies one image by tag or digest, digest-preserving, manifests byte-exact. */
export async function copyImage(
  source: ImageSource,
  reference: string,
  destination: ImageDestination,
  options: CopyOptions,
): Promise<CopyResult> {
  const head = await source.client.headManifest(source.repository, reference);
  if (head === undefined)
    throw new Error(`source image ${source.client.registry}/${source.repository}:${reference} not found`);
  if (reference.includes(':') && head.digest !== reference) {
    throw new Error(`source ${source.repository}@${reference} answered with digest ${head.digest}`);
  }
  if (await tagsAlreadyAt(destination, head.digest)) {
    return { digest: head.digest, mediaType: head.mediaType, upToDate: true, stats: emptyStats() };
  }
  const tree = await readImageTree(source, head.digest);
  const stats = await writeImageTree(tree, destination, options);
  return { digest: tree.root.digest, mediaType: tree.root.mediaType, upToDate: false, stats };
}
