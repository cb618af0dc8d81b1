/** Gives the run images of every platform of a builder tree their copies, replacing the index entries it changed. */
import type { RunImageMirrorMode } from '../inputs.js';
import { platformString } from '../oci/media-types.js';
import { platformNodes, type ImageTree, type ManifestNode } from '../oci/copy.js';
import { replaceIndexEntries } from '../oci/mutate.js';
import { addRunImageMirrorToBuilder, type BuilderMirrorResult } from './builder-mirror.js';
import { mirrorAnnotations } from './mirror-record.js';
import { BuilderMirrorError, type RunImage, type RunImageTarget } from './run-images.js';

/** One platform's run images, before and after the edit. */
export interface MirroredPlatform {
  platform: string;
  before: RunImage[];
  after: RunImage[];
}

export interface MirrorPlan {
  runImages: readonly RunImageTarget[];
  mode: RunImageMirrorMode;
}

export interface MirroredTree {
  tree: ImageTree;
  changed: boolean;
  platforms: MirroredPlatform[];
}

/**
 * Applies the run-image copies to every platform manifest of a builder tree, building new manifests,
 * configs and one layer each, and a new index that keeps each entry's platform and annotations and
 * records what it was made from. The result's new blobs live in `localBlobs`.
 */
export async function mirrorBuilderTree(
  tree: ImageTree,
  plan: MirrorPlan,
  readConfig: (node: ManifestNode) => Promise<Uint8Array>,
): Promise<MirroredTree> {
  const localBlobs = new Map(tree.localBlobs);
  const replacements = new Map<string, { digest: string; size: number }>();
  const replacedNodes = new Map<string, ManifestNode>();
  const platforms: MirroredPlatform[] = [];
  // Errors name the builder: the run's one error line must say which image is wrong.
  const builder = `${tree.source.client.registry}/${tree.source.repository}@${tree.root.digest}`;
  for (const node of platformNodes(tree)) {
    const where = `builder ${builder} platform ${platformString(node.platform)}`;
    if (node.platform?.os === 'windows') throw new BuilderMirrorError(`${where}: windows builders are not supported`);
    const config = await readConfig(node);
    let result: BuilderMirrorResult;
    try {
      result = addRunImageMirrorToBuilder({ manifest: node, config, ...plan, sourceDigest: tree.root.digest });
    } catch (error) {
      throw new BuilderMirrorError(`${where}: ${(error as Error).message}`);
    }
    platforms.push({ platform: platformString(node.platform), before: result.before, after: result.after });
    if (!result.changed) continue;
    localBlobs.set(result.config.digest, result.config.bytes);
    localBlobs.set(result.layer.digest, result.layer.bytes);
    const layers = node.blobs.slice(1);
    const replaced: ManifestNode = {
      bytes: Buffer.from(result.manifest.bytes),
      mediaType: result.manifest.mediaType,
      digest: result.manifest.digest,
      children: [],
      blobs: [
        result.config.descriptor,
        ...layers,
        { mediaType: result.layer.mediaType, digest: result.layer.digest, size: result.layer.size },
      ],
      ...(node.platform !== undefined ? { platform: node.platform } : {}),
    };
    replacedNodes.set(node.digest, replaced);
    replacements.set(node.digest, { digest: replaced.digest, size: replaced.bytes.length });
  }
  if (replacedNodes.size === 0) return { tree, changed: false, platforms };
  if (tree.root.children.length === 0) {
    const root = replacedNodes.get(tree.root.digest)!;
    return { tree: { ...tree, root, localBlobs }, changed: true, platforms };
  }
  const annotations = mirrorAnnotations({ sourceDigest: tree.root.digest, ...plan, runImages: [...plan.runImages] });
  const index = replaceIndexEntries(tree.root.bytes, tree.root.mediaType, replacements, annotations);
  const root: ManifestNode = {
    bytes: Buffer.from(index.bytes),
    mediaType: tree.root.mediaType,
    digest: index.digest,
    children: tree.root.children.map((child) => replacedNodes.get(child.digest) ?? child),
    blobs: [],
  };
  return { tree: { ...tree, root, localBlobs }, changed: true, platforms };
}
