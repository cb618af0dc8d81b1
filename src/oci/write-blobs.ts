/** The blob step of an image write: every unique blob uploaded, mounted or found, sharing the run's transfer limit. */
import type { Readable } from 'node:stream';
import type { CopyOptions, CopyStats, ImageDestination, ImageTree, ManifestNode } from './copy.js';
import { isForeignLayer, type Descriptor } from './media-types.js';
import { TransferLimiter } from './transfer.js';

/** Every manifest below the root, children first (the order they must be written in). */
export function manifestsChildrenFirst(node: ManifestNode): ManifestNode[] {
  return [...node.children.flatMap(manifestsChildrenFirst), node];
}

/** Unique blobs of a tree, largest first so the longest transfers start first. */
export function uniqueBlobs(tree: ImageTree): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const node of manifestsChildrenFirst(tree.root)) {
    for (const blob of node.blobs) if (!byDigest.has(blob.digest)) byDigest.set(blob.digest, blob);
  }
  return [...byDigest.values()].sort((a, b) => b.size - a.size);
}

/**
 * Writes every blob of `tree` not in `skip` into the destination, adding what moved to `stats`; the
 * first failure stops the transfers not yet started. Blobs only: no manifest names them yet.
 */
export async function writeBlobs(
  tree: ImageTree,
  destination: ImageDestination,
  options: CopyOptions,
  stats: CopyStats,
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  const { client, repository } = destination;
  const registry = client.registry;
  const blobs = uniqueBlobs(tree).filter((blob) => {
    if (skip.has(blob.digest)) return false;
    if (!isForeignLayer(blob)) return true;
    stats.foreignLayers.push(blob.digest);
    options.runtime.logger.notice(
      `${repository}: foreign layer ${blob.digest} (${blob.size} bytes) is not copied; clients fetch it from ${blob.urls?.[0] ?? 'its URLs'}`,
    );
    return false;
  });
  const total = blobs.reduce((sum, blob) => sum + blob.size, 0);
  let done = 0;
  let failed = false;
  const limiter = options.limiter ?? new TransferLimiter(options.concurrency);
  const transfer = async (blob: Descriptor): Promise<void> => {
    if (failed) return;
    if (options.stopped?.() === true) throw new Error(`${repository}: stopped, an earlier image failed`);
    try {
      const outcome = await writeBlob(tree, destination, blob, options);
      stats[outcome === 'uploaded' ? 'bytesUploaded' : outcome === 'mounted' ? 'bytesMounted' : 'bytesSkipped'] +=
        blob.size;
      stats[outcome === 'uploaded' ? 'blobsUploaded' : outcome === 'mounted' ? 'blobsMounted' : 'blobsSkipped'] += 1;
      options.locations.record(registry, repository, blob.digest);
      done += blob.size;
      options.onProgress?.(done, total);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const results = await Promise.allSettled(
    blobs.map(async (blob) => {
      // The claim comes before the slot: waiting for another image's upload must not hold a slot.
      const release = await options.locations.claim(registry, blob.digest);
      try {
        await limiter.run(blob.size, () => transfer(blob));
      } finally {
        release();
      }
    }),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

async function writeBlob(
  tree: ImageTree,
  destination: ImageDestination,
  blob: Descriptor,
  options: CopyOptions,
): Promise<'uploaded' | 'mounted' | 'skipped'> {
  const { client, repository } = destination;
  const registry = client.registry;
  // In a repository this run created, what this run has not written is not there: no HEAD needed.
  const there =
    destination.fresh === true
      ? options.locations.has(registry, repository, blob.digest)
      : (await client.headBlob(repository, blob.digest)) !== undefined;
  if (there) return 'skipped';
  let session: string | undefined;
  const from = options.locations.mountCandidate(registry, repository, blob.digest);
  if (from !== undefined) {
    const mount = await client.mountBlob(repository, blob.digest, from);
    if (mount.mounted) return 'mounted';
    options.locations.mountRefused(registry, from, blob.digest);
    session = mount.uploadLocation;
  }
  const local = tree.localBlobs.get(blob.digest);
  const opened: Readable[] = [];
  const open = (): Readable | Uint8Array => {
    if (local !== undefined) return local;
    const stream = options.spool.read(tree.source.client, tree.source.repository, blob);
    opened.push(stream);
    return stream;
  };
  try {
    await client.uploadBlob(repository, blob, open, session);
  } finally {
    for (const stream of opened) stream.destroy();
  }
  return 'uploaded';
}
