/** Which source image a builder in the destination was made from, read from the source-digest annotation of its manifests. */
import { platformNodes, type ImageTree } from '../oci/copy.js';
import { parseManifest } from '../oci/descriptors.js';
import { DOCKER_MANIFEST } from '../oci/media-types.js';
import { SOURCE_DIGEST_ANNOTATION } from './builder-mirror.js';

/**
 * `recorded`: a mutated platform manifest names the source root digest it was made from.
 * `unrecorded`: Docker manifests carry no annotations, so a mutated builder cannot say.
 * `none`: OCI manifests without the annotation; not a builder this action mutated.
 */
export type MirrorOrigin = { kind: 'recorded'; sourceDigest: string } | { kind: 'unrecorded' } | { kind: 'none' };

export function mirrorOrigin(tree: ImageTree): MirrorOrigin {
  let docker = false;
  for (const node of platformNodes(tree)) {
    const what = `${tree.source.client.registry}/${tree.source.repository}@${node.digest}`;
    const recorded = parseManifest(node.bytes, what).annotations?.[SOURCE_DIGEST_ANNOTATION];
    if (typeof recorded === 'string') return { kind: 'recorded', sourceDigest: recorded };
    if (node.mediaType === DOCKER_MANIFEST) docker = true;
  }
  return docker ? { kind: 'unrecorded' } : { kind: 'none' };
}
