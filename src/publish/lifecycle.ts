/** Lifecycle step (`lifecycle-image`): the lifecycle version each builder names becomes an ordinary image of the run. */
// pack pulls `buildpacksio/lifecycle:<version>` from Docker Hub for a builder it does not trust; a copy in the
// destination lets users point `pack config lifecycle-image` at it. The copies are plan entries and work items
// like any other image, so resolve, copy (before the builders: their kind ranks first), referrers, gate and
// retention treat them the same.
import { imageLabels } from '../cnb/classify.js';
import { BUILDER_METADATA_LABEL } from '../cnb/labels.js';
import { builderLifecycleVersion } from '../cnb/lifecycle.js';
import { platformNodes, readImageTree, type ImageTree } from '../oci/copy.js';
import { formatReference } from '../oci/reference.js';
import { TransferLimiter } from '../oci/transfer.js';
import { LIFECYCLE_REPOSITORY } from '../plan/naming.js';
import { buildPlan, type PlanEntry } from '../plan/plan.js';
import { parseTagTemplate } from '../plan/tags.js';
import type { Inputs } from '../inputs.js';
import type { RunContext } from './context.js';
import { readConfig } from './image-config.js';
import type { LifecycleCopy, PublishedImage } from './report.js';
import { resolveImages, type Resolved } from './resolve.js';
import type { WorkItem } from './work-item.js';

/** A dry run reads no builder, so it cannot know the versions; it says so. */
export function lifecycleDryRunNotices(inputs: Inputs): string[] {
  if (inputs.lifecycleImage === undefined) return [];
  const source = formatReference(inputs.lifecycleImage);
  return [
    `lifecycle-image: the lifecycle version of each builder (${source}:<version>, to ` +
      `${inputs.repositoryPrefix}${LIFECYCLE_REPOSITORY}) is read from the builder's label when publishing; not listed here`,
  ];
}

/**
 * Adds the lifecycle images of the run's builders to `resolved` and to `run.plan`, and returns what they are.
 * Every version is checked at the source before any image is written.
 */
export async function addLifecycleImages(resolved: Resolved, run: RunContext): Promise<LifecycleCopy[]> {
  const source = run.inputs.lifecycleImage;
  if (source === undefined) return [];
  const builders = await buildersByVersion(resolved, run);
  if (builders.size === 0) {
    run.runtime.logger.info('lifecycle-image: no builders in this release, so no lifecycle image to copy');
    return [];
  }
  const entries = buildPlan({
    images: [...builders.keys()].map((version) => ({
      source: { ...source, tag: version },
      rename: LIFECYCLE_REPOSITORY,
    })),
    repositoryPrefix: run.inputs.repositoryPrefix,
    tagTemplates: [parseTagTemplate('{{tag}}')],
    registryType: run.plan.registryType,
  }).entries;
  const client = run.connections.source(source.registry);
  for (const entry of entries) {
    if ((await client.headManifest(entry.source.repository, entry.source.tag!)) === undefined) {
      const names = builders.get(entry.source.tag!)!.join(', ');
      throw new Error(
        `lifecycle-image: ${entry.sourceName} not found; builder ${names} names lifecycle version ${entry.source.tag!}`,
      );
    }
  }
  const repository = entries[0]!.repository;
  await run.connections.ensure(repository, run.inputs.createRepositories);
  // An `images` line may already publish one of these versions to the same repository.
  const key = (entry: PlanEntry) => `${entry.sourceName} ${entry.repository}`;
  const planned = new Set(run.plan.entries.map(key));
  const added = entries.filter((entry) => !planned.has(key(entry)));
  run.plan = { ...run.plan, entries: [...run.plan.entries, ...added] };
  const lifecycle = await resolveImages({ ...run, plan: { ...run.plan, entries: added } });
  resolved.pending.push(...lifecycle.pending);
  resolved.upToDate.push(...lifecycle.upToDate);
  const uri = run.connections.destination(repository).repository.repositoryUri;
  return entries.map((entry) => ({
    version: entry.source.tag!,
    source: entry.sourceName,
    image: `${uri}:${entry.source.tag!}`,
    builders: builders.get(entry.source.tag!)!,
  }));
}

/** Lifecycle version → source names of the builders naming it, in plan order. */
async function buildersByVersion(resolved: Resolved, run: RunContext): Promise<Map<string, string[]>> {
  const reads = new TransferLimiter(run.inputs.concurrency);
  const pending = resolved.pending.filter((item) => item.kind === 'builder');
  const found = await Promise.all([
    ...pending.map((item) => reads.run(0, () => versionOfPending(item, run))),
    ...resolved.upToDate.map((image, index) => reads.run(0, () => versionOfUpToDate(image, index, resolved, run))),
  ]);
  const order = new Map(run.plan.entries.map((entry, index) => [entry.sourceName, index]));
  const builders = new Map<string, string[]>();
  for (const { builder, version } of found
    .flatMap((f) => (f === undefined ? [] : [f]))
    .sort((a, b) => (order.get(a.builder) ?? 0) - (order.get(b.builder) ?? 0)))
    builders.set(version, [...(builders.get(version) ?? []), builder]);
  return builders;
}

async function versionOfPending(item: WorkItem, run: RunContext): Promise<{ builder: string; version: string }> {
  const builder = item.entry.sourceName;
  return { builder, version: builderLifecycleVersion(await configsOf(item.tree, run), builder) };
}

/**
 * An image already in the destination was not read by resolve, so whether it is a builder is unknown: its
 * destination copy is read (the source, often Docker Hub, is not), and a builder is reported as one.
 */
async function versionOfUpToDate(
  image: PublishedImage,
  index: number,
  resolved: Resolved,
  run: RunContext,
): Promise<{ builder: string; version: string } | undefined> {
  if (image.kind !== 'unknown' && image.kind !== 'builder') return undefined;
  const destination = run.connections.destination(image.repositoryName);
  const tree = await readImageTree({ client: destination.client, repository: destination.path }, image.digest);
  const configs = await configsOf(tree, run);
  if (configs.length === 0) return undefined;
  resolved.upToDate[index] = { ...image, kind: 'builder' };
  return { builder: image.source, version: builderLifecycleVersion(configs, image.source) };
}

/** Every platform's config of a builder; none when the first platform is not a builder. */
async function configsOf(tree: ImageTree, run: RunContext): Promise<Uint8Array[]> {
  const [first, ...rest] = platformNodes(tree);
  if (first === undefined) return [];
  const head = await readConfig(run.spool, tree, first);
  if (imageLabels(head)[BUILDER_METADATA_LABEL] === undefined) return [];
  return [head, ...(await Promise.all(rest.map((node) => readConfig(run.spool, tree, node))))];
}
