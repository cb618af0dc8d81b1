/** Resolve step: HEAD each source, decide its tags against the destination, read the trees still to copy. */
import { classifyImage } from '../cnb/classify.js';
import { emptyStats, platformNodes, readImageTree, tagsAlreadyAt, type ImageTree } from '../oci/copy.js';
import type { RegistryClient } from '../oci/registry.js';
import { pull } from '../oci/scopes.js';
import type { BlobSpool } from '../oci/spool.js';
import { RegistryError } from '../oci/transport/errors.js';
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
  await authorizeSources(run);
  const requests = new TransferLimiter(run.inputs.concurrency);
  const outcomes = await Promise.all(run.plan.entries.map((entry) => requests.run(0, () => resolveImage(entry, run))));
  return {
    pending: outcomes.flatMap((outcome) => ('tree' in outcome ? [outcome] : [])),
    upToDate: outcomes.flatMap((outcome) => ('tree' in outcome ? [] : [outcome])),
  };
}

/** Scopes per token request: one token for a few repositories at once, and never an outsized one. */
const SCOPES_PER_TOKEN = 10;

/** Pull tokens for every source repository, a few repositories per token request, before any source is read. */
async function authorizeSources(run: RunContext): Promise<void> {
  const byRegistry = new Map<string, Set<string>>();
  for (const { source } of run.plan.entries) {
    let scopes = byRegistry.get(source.registry);
    if (scopes === undefined) byRegistry.set(source.registry, (scopes = new Set()));
    scopes.add(pull(source.repository));
  }
  const batches = [...byRegistry].flatMap(([registry, scopes]) => {
    const list = [...scopes];
    return Array.from({ length: Math.ceil(list.length / SCOPES_PER_TOKEN) }, (_, i) => ({
      registry,
      scopes: list.slice(i * SCOPES_PER_TOKEN, (i + 1) * SCOPES_PER_TOKEN),
    }));
  });
  await Promise.all(
    batches.map(({ registry, scopes }) =>
      // Best effort: a registry that refuses the batch still answers each request's own token.
      run.connections
        .source(registry)
        .transport.authorize(scopes)
        .catch((error: unknown) =>
          run.runtime.logger.debug(`token for ${scopes.length} repositories: ${String(error)}`),
        ),
    ),
  );
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
  const destination = run.connections.destination(entry.repository);
  // A repository this run created is empty: nothing to compare, so the source is read at once (no HEAD).
  if (destination.repository.created) return freshItem(entry, destination, sourceClient, run);
  const head = await sourceClient.headManifest(entry.source.repository, referenceOf(entry.source));
  if (head === undefined) throw new Error(`source image ${entry.sourceName} not found`);
  if (entry.source.digest !== undefined && head.digest !== entry.source.digest) {
    throw new Error(`source image ${entry.sourceName} answered with digest ${head.digest}`);
  }
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
  return workItem(decided, sourceClient, tree, run);
}

type Decided = Omit<WorkItem, 'sourceClient' | 'tree' | 'kind' | 'platform'>;

/** An image for a repository created by this run: every tag applies, the tree read by the source reference. */
async function freshItem(
  entry: PlanEntry,
  destination: WorkItem['destination'],
  sourceClient: RegistryClient,
  run: RunContext,
): Promise<WorkItem> {
  const tree = await readImageTree(
    { client: sourceClient, repository: entry.source.repository },
    referenceOf(entry.source),
  ).catch((error: unknown) => {
    if (error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN')
      throw new Error(`source image ${entry.sourceName} not found`);
    throw error;
  });
  const decision = decideTags(entry.tags, []);
  const decided = {
    entry,
    destination,
    sourceDigest: tree.root.digest,
    tags: decision.apply,
    heldBack: decision.heldBack,
  };
  return workItem(decided, sourceClient, tree, run);
}

/** The work item of a tree to copy, classified by its first platform's config. */
async function workItem(
  decided: Decided,
  sourceClient: RegistryClient,
  tree: ImageTree,
  run: RunContext,
): Promise<WorkItem> {
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
