/** Adds a run-image mirror to every platform of a builder tree, replacing the index entries it changed. */
import { platformString } from '../oci/media-types.js';
import { platformNodes, type ImageTree, type ManifestNode } from '../oci/copy.js';
import { replaceIndexEntries } from '../oci/mutate.js';
import {
  addRunImageMirrorToBuilder,
  BuilderMirrorError,
  effectiveRunImage,
  type BuilderMirrorResult,
  type RunImage,
} from './builder-mirror.js';
import { parseBuilderMetadata } from './classify.js';

export interface MirroredPlatform {
  platform: string;
  before: RunImage;
  after: RunImage;
}

export interface MirroredTree {
  tree: ImageTree;
  changed: boolean;
  platforms: MirroredPlatform[];
}

/**
 * Adds `mirror` as a run-image mirror to every platform manifest of a builder tree, building new
 * manifests, configs and one layer each, and a new index that keeps each entry's platform and
 * annotations. The result's new blobs live in `localBlobs`.
 */
export async function mirrorBuilderTree(
  tree: ImageTree,
  mirror: string,
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
    let before: RunImage;
    try {
      result = addRunImageMirrorToBuilder({ manifest: node, config, mirror, sourceDigest: tree.root.digest });
      // Read from the source label: a mirror that was already there stays in "before".
      before = effectiveRunImage(parseBuilderMetadata(config));
    } catch (error) {
      throw new BuilderMirrorError(`${where}: ${(error as Error).message}`);
    }
    platforms.push({ platform: platformString(node.platform), before, after: result.runImage });
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
  const index = replaceIndexEntries(tree.root.bytes, tree.root.mediaType, replacements);
  const root: ManifestNode = {
    bytes: Buffer.from(index.bytes),
    mediaType: tree.root.mediaType,
    digest: index.digest,
    children: tree.root.children.map((child) => replacedNodes.get(child.digest) ?? child),
    blobs: [],
  };
  return { tree: { ...tree, root, localBlobs }, changed: true, platforms };
}
