/** Copy step: every image's blobs at once, manifests and tags stage by stage (run images before the builders that name them), mirrors added. */
import {
  emptyStats,
  platformsOf,
  writeImageTree,
  type CopyStats,
  type ImageTree,
  type PrewrittenBlobs,
} from '../oci/copy.js';
import { uniqueBlobs, writeBlobs } from '../oci/write-blobs.js';
import { publishStages } from '../plan/plan.js';
import { copyOptions, type RunContext } from './context.js';
import { addRunImageMirror } from './mirror.js';
import type { PublishedImage } from './report.js';
import { movingTagsOf, writeMovingTags } from './moving-tags.js';
import { imageReport, mib, type WorkItem } from './work-item.js';

/** A written image with the tree that was written, for the steps that read its configs. */
export interface CopiedImage {
  image: PublishedImage;
  item: WorkItem;
  tree: ImageTree;
}

/**
 * Images of one stage go together, sharing `concurrency`; the first failure stops the run after its stage.
 * Only manifests and tags wait for the stages before: blobs depend on no other image, so every later
 * image's blobs start at once too, largest first across the run (a builder's largest layer must not
 * start after the run images are done).
 */
export async function copyByStage(pending: readonly WorkItem[], run: RunContext): Promise<CopiedImage[]> {
  const stages = publishStages(pending, (i) => (i.kind === 'unknown' ? 'other' : i.kind));
  let stopped = false;
  const early = new Map(
    stages.slice(1).flatMap((stage) => stage.map((item) => [item, prewrite(item, run, () => stopped)] as const)),
  );
  const copied: CopiedImage[] = [];
  try {
    for (const stage of stages) {
      const results = await Promise.allSettled(stage.map((item) => copyImage(item, run, early.get(item))));
      for (const result of results) if (result.status === 'fulfilled') copied.push(result.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  } catch (error) {
    // Nothing may still be writing when the run goes on to report (and removes the spool).
    stopped = true;
    await Promise.allSettled([...early.values()].map((blobs) => blobs.stats));
    throw error;
  }
  return copied;
}

/**
 * An image's blobs, written ahead of its stage: those of its source tree (a run-image mirror changes the
 * builder's config and manifests; the source config it replaces is a few KB written for nothing).
 */
function prewrite(item: WorkItem, run: RunContext, stopped: () => boolean): PrewrittenBlobs {
  const stats = emptyStats();
  const destination = {
    client: item.destination.client,
    repository: item.destination.path,
    tags: [],
    fresh: item.destination.repository.created,
  };
  const written = writeBlobs(item.tree, destination, { ...copyOptions(run), stopped }, stats).then(() => stats);
  // Read by copyImage, or awaited after a failure; never left unhandled meanwhile.
  written.catch(() => undefined);
  return { digests: new Set(uniqueBlobs(item.tree).map((blob) => blob.digest)), stats: written };
}

async function copyImage(item: WorkItem, run: RunContext, prewritten?: PrewrittenBlobs): Promise<CopiedImage> {
  const { logger, clock } = run.runtime;
  const started = clock.now();
  const mode = run.inputs.runImageMirror;
  const mirrored =
    item.finalMirror !== undefined
      ? { tree: item.tree, mirror: item.finalMirror }
      : item.kind === 'builder' && mode !== false
        ? await addRunImageMirror(item, run, mode)
        : undefined;
  const tree = mirrored?.tree ?? item.tree;
  const uri = item.destination.repository.repositoryUri;
  const moving = new Set(movingTagsOf(item).map((candidate) => candidate.tag));
  let lastProgress = clock.now();
  const stats: CopyStats = await writeImageTree(
    tree,
    {
      client: item.destination.client,
      repository: item.destination.path,
      tags: item.tags.filter((tag) => !moving.has(tag)),
      fresh: item.destination.repository.created,
    },
    {
      ...copyOptions(run),
      ...(prewritten !== undefined ? { prewritten } : {}),
      onProgress: (done, total) => {
        const now = clock.now();
        if (now - lastProgress < 10_000) return;
        lastProgress = now;
        logger.info(`${uri}: ${mib(done)} of ${mib(total)} MiB`);
      },
    },
  );
  const moved = await writeMovingTags(item, tree.root, run);
  const tags = item.tags.filter((tag) => !moving.has(tag) || moved.written.includes(tag));
  logger.info(
    `${item.entry.sourceName} → ${uri}@${tree.root.digest} [${tags.join(', ')}]: ${mib(stats.bytesUploaded)} MiB uploaded, ` +
      `${mib(stats.bytesMounted)} MiB mounted, ${mib(stats.bytesSkipped)} MiB already there`,
  );
  const image = imageReport(
    { ...item, tags, heldBack: [...item.heldBack, ...moved.heldBack] },
    tree.root.digest,
    stats,
    {
      upToDate: false,
      mutated: tree.root.digest !== item.sourceDigest,
      platforms: platformsOf(tree, item.platform),
      seconds: (clock.now() - started) / 1000,
      ...(mirrored !== undefined ? { mirror: mirrored.mirror } : {}),
    },
  );
  return { image, item, tree };
}
