/** Resolve step: HEAD each source, decide its tags against the destination, read the trees still to copy. */
import { classifyImage } from '../cnb/classify.js';
import { emptyStats, platformNodes, readImageTree, tagsAlreadyAt, type ImageTree } from '../oci/copy.js';
import type { BlobSpool } from '../oci/spool.js';
import { TransferLimiter } from '../oci/transfer.js';
import { platformString } from '../oci/media-types.js';
import { manifestReference, type Reference } from '../oci/reference.js';
import type { PlanEntry } from '../plan/plan.js';
import { decideTags } from '../plan/tags.js';
import type { RunContext } from './context.js';
import { platformOfConfig, readConfig } from './image-config.js';
import type { PublishedImage } from './report.js';
import { mirroredBuilderAt } from './mirror-up-to-date.js';
import { imageReport, type ReportedItem, type WorkItem } from './work-item.js';

export interface Resolved {
  /** Images to write, in plan order. */
  pending: WorkItem[];
  /** Images whose tags already hold their digest. */
  upToDate: PublishedImage[];
}

export async function resolveImages(run: RunContext): Promise<Resolved> {
  const requests = new TransferLimiter(run.inputs.concurrency);
  const outcomes = await Promise.all(run.plan.entries.map((entry) => requests.run(0, () => resolveImage(entry, run))));
  return {
    pending: outcomes.flatMap((outcome) => ('tree' in outcome ? [outcome] : [])),
    upToDate: outcomes.flatMap((outcome) => ('tree' in outcome ? [] : [outcome])),
  };
}

/** The tag or digest a source is read by. */
export function referenceOf(source: Reference): string {
  return manifestReference(source);
}

/** A work item, or the report of an image that is already there (checked before anything is listed). */
async function resolveImage(entry: PlanEntry, run: RunContext): Promise<WorkItem | PublishedImage> {
  const { logger, clock } = run.runtime;
  const started = clock.now();
  const sourceClient = run.connections.source(entry.source.registry);
  const head = await sourceClient.headManifest(entry.source.repository, referenceOf(entry.source));
  if (head === undefined) throw new Error(`source image ${entry.sourceName} not found`);
  if (entry.source.digest !== undefined && head.digest !== entry.source.digest) {
    throw new Error(`source image ${entry.sourceName} answered with digest ${head.digest}`);
  }
  const destination = run.connections.destination(entry.repository);
  const at = (tags: string[]) =>
    tagsAlreadyAt({ client: destination.client, repository: destination.path, tags }, head.digest);
  const done = (item: ReportedItem) =>
    imageReport(item, head.digest, emptyStats(), {
      upToDate: true,
      mutated: false,
      platforms: [],
      seconds: (clock.now() - started) / 1000,
    });
  const uri = destination.repository.repositoryUri;

  // A re-run's fast path: every tag already names this digest, so no tag decision is left to make.
  const candidates = entry.tags.map((t) => t.tag);
  if (candidates.length > 0 && (await at(candidates))) {
    logger.info(`${entry.sourceName} is already at ${uri} (${head.digest})`);
    return done({ entry, destination, sourceDigest: head.digest, tags: candidates, heldBack: [], kind: 'unknown' });
  }
  const mirrored = await mirroredBuilderAt(entry, head.digest, destination, run);
  if (mirrored !== undefined) {
    logger.info(`${entry.sourceName} is already at ${uri} (${mirrored.digest}, made from ${head.digest})`);
    const item = {
      entry,
      destination,
      sourceDigest: head.digest,
      tags: candidates,
      heldBack: [],
      kind: 'builder' as const,
    };
    return imageReport(item, mirrored.digest, emptyStats(), {
      upToDate: true,
      mutated: true,
      platforms: [],
      seconds: (clock.now() - started) / 1000,
      mirror: mirrored.mirror,
    });
  }
  const decision = decideTags(entry.tags, await destination.client.listTags(destination.path));
  for (const held of decision.heldBack) logger.notice(`${uri}: tag "${held.tag}" not moved: ${held.reason}`);
  const decided = {
    entry,
    destination,
    sourceDigest: head.digest,
    tags: decision.apply,
    heldBack: decision.heldBack,
    kind: 'unknown' as const,
  };
  if (decision.apply.length > 0 && (await at(decision.apply))) {
    logger.info(
      `${entry.sourceName} is already at ${uri} (${head.digest}); held back: ${decision.heldBack.map((h) => h.tag).join(', ')}`,
    );
    return done(decided);
  }
  const tree = await readImageTree({ client: sourceClient, repository: entry.source.repository }, head.digest);
  return { ...decided, sourceClient, tree, ...(await classifyTree(tree, run.spool)) };
}

/** What the image is, from its first platform's config, and that platform for a single manifest. */
export async function classifyTree(tree: ImageTree, spool: BlobSpool): Promise<Pick<WorkItem, 'kind' | 'platform'>> {
  const first = platformNodes(tree)[0];
  if (first === undefined) return { kind: 'other' };
  const config = await readConfig(spool, tree, first);
  const platform = platformOfConfig(config);
  return {
    kind: classifyImage(config),
    platform: platformString({
      os: platform.os,
      architecture: platform.architecture,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    }),
  };
}
