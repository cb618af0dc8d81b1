/** Mirror step of a builder: each run image gets its destination copy, as a mirror (`auto`) or as the run image (`primary`). */
import { parseBuilderMetadata, parseImageConfig } from '../cnb/classify.js';
import { mirrorBuilderTree } from '../cnb/mirror-tree.js';
import { normalizedName, runImageNames } from '../cnb/run-images.js';
import type { RunImageMirrorMode } from '../inputs.js';
import { platformNodes, type ImageTree } from '../oci/copy.js';
import type { RunContext } from './context.js';
import { readConfig } from './image-config.js';
import type { BuilderMirrorReport } from './report.js';
import { runImageCopies } from './run-image-copies.js';
import type { WorkItem } from './work-item.js';

export interface MirroredBuilder {
  tree: ImageTree;
  mirror: BuilderMirrorReport;
}

/** The builder's tree with the copies applied (unchanged when it already names them as `mode` wants). */
export async function addRunImageMirror(
  item: WorkItem,
  run: RunContext,
  mode: RunImageMirrorMode,
): Promise<MirroredBuilder> {
  const name = item.entry.sourceName;
  const runImages = await runImageCopies(name, await runImagesOf(item, run), run);
  const mirrored = await mirrorBuilderTree(item.tree, { runImages, mode }, (node) =>
    readConfig(run.spool, item.tree, node),
  );
  const copies = runImages.flatMap((r) => (r.copy === undefined ? [] : [{ source: r.source, copy: r.copy }]));
  const named = copies.map((c) => c.copy).join(', ');
  run.runtime.logger.info(
    mirrored.changed
      ? `builder ${name}: ${mode === 'auto' ? 'added run-image mirror' : 'made the run image'} ${named} (${mirrored.tree.root.digest})`
      : `builder ${name} already names ${named}`,
  );
  return { tree: mirrored.tree, mirror: { mode, runImages: copies, platforms: mirrored.platforms } };
}

/** Every run image any platform of the builder names, first platform's order first. */
async function runImagesOf(item: WorkItem, run: RunContext): Promise<string[]> {
  const builder = item.entry.sourceName;
  const names = new Map<string, string>();
  for (const node of platformNodes(item.tree)) {
    const config = await readConfig(run.spool, item.tree, node);
    if (parseImageConfig(config).os === 'windows')
      throw new Error(`builder ${builder}: windows builders are not supported`);
    try {
      for (const image of runImageNames(parseBuilderMetadata(config))) {
        if (!names.has(normalizedName(image))) names.set(normalizedName(image), image);
      }
    } catch (error) {
      throw new Error(`builder ${builder}: ${(error as Error).message}`);
    }
  }
  if (names.size === 0) throw new Error(`builder ${builder} names no run image in io.buildpacks.builder.metadata`);
  return [...names.values()];
}
