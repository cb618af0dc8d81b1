/** Mirror step of a builder: add the destination copy of its run image as a run-image mirror. */
import { builderRunImage, parseImageConfig } from '../cnb/classify.js';
import { mirrorBuilderTree } from '../cnb/mirror-tree.js';
import type { EnsuredRepository } from '../aws/ecr.js';
import { platformNodes, type ImageTree } from '../oci/copy.js';
import { formatReference, parseReference } from '../oci/reference.js';
import { destinationRepository } from '../plan/naming.js';
import type { RunContext } from './context.js';
import { readConfig } from './image-config.js';
import type { PublishedImage } from './report.js';
import type { WorkItem } from './work-item.js';

export interface MirroredBuilder {
  tree: ImageTree;
  mirror: NonNullable<PublishedImage['mirror']>;
}

/** The builder's tree with the mirror added (unchanged when it already lists it). */
export async function addRunImageMirror(item: WorkItem, run: RunContext): Promise<MirroredBuilder> {
  const runImage = await runImageOf(item, run);
  const image = await mirrorTarget(item, runImage, run);
  const mirrored = await mirrorBuilderTree(item.tree, image, (node) => readConfig(run.spool, item.tree, node));
  const name = item.entry.sourceName;
  run.runtime.logger.info(
    mirrored.changed
      ? `builder ${name}: added run-image mirror ${image} (${mirrored.tree.root.digest})`
      : `builder ${name} already lists ${image}`,
  );
  return {
    tree: mirrored.tree,
    mirror: { mode: 'auto', runImages: [{ source: runImage, copy: image }], platforms: mirrored.platforms },
  };
}

/** The one run image every platform of the builder names. */
async function runImageOf(item: WorkItem, run: RunContext): Promise<string> {
  const builder = item.entry.sourceName;
  const runImages = new Set<string | undefined>();
  for (const node of platformNodes(item.tree)) {
    const config = await readConfig(run.spool, item.tree, node);
    if (parseImageConfig(config).os === 'windows')
      throw new Error(`builder ${builder}: windows builders are not supported`);
    try {
      runImages.add(builderRunImage(config));
    } catch (error) {
      throw new Error(`builder ${builder}: ${(error as Error).message}`);
    }
  }
  if (runImages.size > 1)
    throw new Error(`builder ${builder}: its platforms name different run images (${[...runImages].join(', ')})`);
  const runImage = [...runImages][0];
  if (runImage === undefined)
    throw new Error(`builder ${builder} names no run image in io.buildpacks.builder.metadata`);
  return runImage;
}

/** The destination copy of the builder's run image, which must exist before the builder names it. */
async function mirrorTarget(item: WorkItem, runImage: string, run: RunContext): Promise<string> {
  const builder = item.entry.sourceName;
  const ref = parseReference(runImage);
  const planned = run.plan.entries.find(
    (e) => e.source.registry === ref.registry && e.source.repository === ref.repository,
  );
  const name = planned?.repository ?? destinationRepository(ref, run.inputs.repositoryPrefix);
  let repository: EnsuredRepository;
  try {
    repository = await run.connections.ensure(name, false);
  } catch (error) {
    throw new Error(
      `builder ${builder}: its run image ${runImage} maps to repository "${name}", which does not exist: add the run image to "images" (${(error as Error).message})`,
    );
  }
  const destination = run.connections.destination(name);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  if ((await destination.client.headManifest(destination.path, reference)) === undefined) {
    const at = `${repository.repositoryUri}${ref.digest ? '@' : ':'}${reference}`;
    throw new Error(
      `builder ${builder}: its run image ${runImage} maps to ${at}, which was neither published in this run nor found there: add ${formatReference(ref)} to "images"`,
    );
  }
  return `${repository.repositoryUri}${ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}
