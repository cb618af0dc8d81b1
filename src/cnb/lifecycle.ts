/** The lifecycle version a builder names in its metadata label (`lifecycle.version`): the tag of its lifecycle image. */
import { isValidTag } from '../oci/reference.js';
import { parseBuilderMetadata } from './classify.js';
import { BUILDER_METADATA_LABEL } from './labels.js';

/** The version one platform's config names; a builder without a usable one is an error (pack always writes it). */
export function lifecycleVersionOf(config: Uint8Array | object, builder: string): string {
  const lifecycle = parseBuilderMetadata(config)['lifecycle'];
  const version =
    typeof lifecycle === 'object' && lifecycle !== null ? (lifecycle as Record<string, unknown>)['version'] : undefined;
  if (typeof version !== 'string' || version === '')
    throw new Error(`builder ${builder} names no lifecycle version (lifecycle.version in ${BUILDER_METADATA_LABEL})`);
  // The label is untrusted input and becomes a tag.
  if (!isValidTag(version))
    throw new Error(`builder ${builder} names lifecycle version ${JSON.stringify(version)}, which is not a valid tag`);
  return version;
}

/** The one version every platform of a builder names; platforms that disagree are an error. */
export function builderLifecycleVersion(configs: readonly (Uint8Array | object)[], builder: string): string {
  const versions = [...new Set(configs.map((config) => lifecycleVersionOf(config, builder)))];
  if (versions.length !== 1)
    throw new Error(`builder ${builder} names different lifecycle versions on its platforms: ${versions.join(', ')}`);
  return versions[0]!;
}
