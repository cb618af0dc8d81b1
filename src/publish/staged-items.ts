/** A staged release after its gate: each staged image as ECR Public work, its bytes read from the spool or the staging copy. */
import { emptyStats, readImageTree, tagsAlreadyAt, type ImageTree } from '../oci/copy.js';
import { TransferLimiter } from '../oci/transfer.js';
import type { PlanEntry } from '../plan/plan.js';
import { decideTags } from '../plan/tags.js';
import type { CopiedImage } from './copy.js';
import type { RunContext } from './context.js';
import type { PublishedImage } from './report.js';
import { classifyTree, type Resolved } from './resolve.js';
import { imageReport, type WorkItem } from './work-item.js';

/** A staged image, the release entry it is published as, and the tree written to staging in this run (if any). */
export interface StagedImage {
  image: PublishedImage;
  entry: PlanEntry;
  tree?: ImageTree;
}

/** Pairs each staged image with its release entry and the tree this run staged. */
export function stagedImages(
  images: readonly PublishedImage[],
  copied: readonly CopiedImage[],
  publicEntryOf: (staged: PlanEntry) => PlanEntry,
  staging: RunContext,
): StagedImage[] {
  return images.map((image) => {
    const stagedEntry = staging.plan.entries.find(
      (e) => e.sourceName === image.source && e.repository === image.repositoryName,
    );
    if (stagedEntry === undefined) throw new Error(`staged image ${image.source} is not in the staging plan`);
    const tree = copied.find((c) => c.image === image)?.tree;
    return { image, entry: publicEntryOf(stagedEntry), ...(tree !== undefined ? { tree } : {}) };
  });
}

/** Every staged image, checked against ECR Public: still to write, or already there with its tags. */
export async function resolveStaged(
  images: readonly StagedImage[],
  staging: RunContext,
  run: RunContext,
): Promise<Resolved> {
  const requests = new TransferLimiter(run.inputs.concurrency);
  const outcomes = await Promise.all(images.map((image) => requests.run(0, () => resolveOne(image, staging, run))));
  return {
    pending: outcomes.flatMap((outcome) => ('tree' in outcome ? [outcome] : [])),
    upToDate: outcomes.flatMap((outcome) => ('tree' in outcome ? [] : [outcome])),
  };
}

/**
 * The public work item of one staged image: the staged digest under the tags decided against ECR Public. Its
 * tree reads blobs from the spool first, then from the staging copy: never from the source again.
 */
async function resolveOne(
  staged: StagedImage,
  staging: RunContext,
  run: RunContext,
): Promise<WorkItem | PublishedImage> {
  const { image, entry } = staged;
  const { logger, clock } = run.runtime;
  const started = clock.now();
  const destination = run.connections.destination(entry.repository);
  const uri = destination.repository.repositoryUri;
  const at = (tags: string[]) =>
    tagsAlreadyAt({ client: destination.client, repository: destination.path, tags }, image.digest);
  const reported = { entry, destination, sourceDigest: image.sourceDigest, kind: image.kind };
  const done = (tags: string[], heldBack: WorkItem['heldBack']) => {
    logger.info(`${entry.sourceName} is already at ${uri} (${image.digest})`);
    return imageReport({ ...reported, tags, heldBack }, image.digest, emptyStats(), {
      upToDate: true,
      mutated: image.mutated,
      platforms: image.platforms,
      seconds: (clock.now() - started) / 1000,
      ...(image.mirror !== undefined ? { mirror: image.mirror } : {}),
    });
  };
  const candidates = entry.tags.map((t) => t.tag);
  if (candidates.length > 0 && (await at(candidates))) return done(candidates, []);
  const decision = decideTags(entry.tags, await destination.client.listTags(destination.path));
  for (const held of decision.heldBack) logger.notice(`${uri}: tag "${held.tag}" not moved: ${held.reason}`);
  if (decision.apply.length > 0 && (await at(decision.apply))) return done(decision.apply, decision.heldBack);

  const from = staging.connections.destination(image.repositoryName);
  const source = { client: from.client, repository: from.path };
  const tree = staged.tree ? { ...staged.tree, source } : await readImageTree(source, image.digest);
  return {
    ...reported,
    ...(await classifyTree(tree, run.spool)),
    sourceClient: from.client,
    tags: decision.apply,
    heldBack: decision.heldBack,
    tree,
    ...(image.mirror !== undefined ? { finalMirror: image.mirror } : {}),
  };
}
