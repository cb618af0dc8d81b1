/** Retention pins: an image that a kept builder names as its run image, run-image mirror or lifecycle is never deleted. */
import { imageLabels, parseBuilderMetadata } from '../cnb/classify.js';
import { BUILDER_METADATA_LABEL } from '../cnb/labels.js';
import { lifecycleVersionOf } from '../cnb/lifecycle.js';
import { indexChildDigests, isIndexMediaType } from '../oci/media-types.js';
import { manifestReference, parseReference } from '../oci/reference.js';

/** Configs are small; a bigger one is not a builder config we can trust to read whole. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface RepositoryPins {
  /** Digest → why. */
  digests: Map<string, string>;
  /** Tag → why. */
  tags: Map<string, string>;
}

/** Reads one destination repository: manifests by digest, and blobs. */
export interface ImageReader {
  manifest(digest: string): Promise<{ bytes: Uint8Array; mediaType: string }>;
  blob(descriptor: { digest: string; size: number }): Promise<Uint8Array>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function namesOf(entry: unknown): string[] {
  if (!isObject(entry)) return [];
  const mirrors = Array.isArray(entry['mirrors']) ? entry['mirrors'] : [];
  return [entry['image'], ...mirrors].filter((name): name is string => typeof name === 'string' && name !== '');
}

/** Every run-image name in a builder label: `images[].image`/`.mirrors` and `stack.runImage`'s; [] for a non-builder. */
export function runImageNames(config: Uint8Array): string[] {
  let metadata: Record<string, unknown>;
  try {
    if (imageLabels(config)[BUILDER_METADATA_LABEL] === undefined) return [];
    metadata = parseBuilderMetadata(config);
  } catch {
    return []; // not an image config, or a label pack could not read either
  }
  const images = Array.isArray(metadata['images']) ? (metadata['images'] as unknown[]) : [];
  const stack = metadata['stack'];
  return [...images.flatMap(namesOf), ...namesOf(isObject(stack) ? stack['runImage'] : undefined)];
}

/** Pins by destination repository, from image references that may point anywhere. */
export class RetentionPins {
  private readonly pins = new Map<string, RepositoryPins>();

  /** @param repositories `host/path` of each destination repository of the run → its name. */
  constructor(private readonly repositories: ReadonlyMap<string, string>) {}

  /** Pins what `reference` names when it is in one of this run's repositories; other names are ignored. */
  add(reference: string, reason: string): void {
    let ref;
    try {
      ref = parseReference(reference);
    } catch {
      return; // a label is untrusted input; a name we cannot parse names nothing of ours
    }
    const name = this.repositories.get(`${ref.registry}/${ref.repository}`);
    if (name === undefined) return;
    const pins = this.of(name);
    if (ref.digest !== undefined) pins.digests.set(ref.digest, reason);
    else pins.tags.set(manifestReference(ref), reason);
  }

  of(repositoryName: string): RepositoryPins {
    let pins = this.pins.get(repositoryName);
    if (pins === undefined) {
      pins = { digests: new Map(), tags: new Map() };
      this.pins.set(repositoryName, pins);
    }
    return pins;
  }
}

/** The config of every platform manifest of an image (an index is followed one level). */
async function platformConfigs(reader: ImageReader, digest: string): Promise<Uint8Array[]> {
  const root = await reader.manifest(digest);
  const manifests = isIndexMediaType(root.mediaType)
    ? await Promise.all(indexChildDigests(root.bytes).map((child) => reader.manifest(child)))
    : [root];
  const configs: Uint8Array[] = [];
  for (const manifest of manifests) {
    const text = Buffer.from(manifest.bytes).toString('utf8');
    const parsed = JSON.parse(text) as { config?: { digest?: unknown; size?: unknown } };
    const { digest: configDigest, size } = parsed.config ?? {};
    if (typeof configDigest !== 'string' || typeof size !== 'number' || size > MAX_CONFIG_BYTES) continue;
    configs.push(await reader.blob({ digest: configDigest, size }));
  }
  return configs;
}

/** `<lifecycle repository>:<version>` for the lifecycle a builder config names; undefined when it names none. */
function lifecycleName(config: Uint8Array, lifecycleRepository: string): string | undefined {
  try {
    return `${lifecycleRepository}:${lifecycleVersionOf(config, '')}`;
  } catch {
    return undefined; // not a builder, or a label without a usable version: nothing of ours to keep
  }
}

/**
 * Pins every run image that the builder images `digests` (the kept ones of a builder repository) name, and,
 * given `lifecycleRepository` (`host/path` of `lifecycle-image`'s copies), the lifecycle version they name.
 */
export async function pinBuilderRunImages(
  reader: ImageReader,
  builderRepository: string,
  digests: readonly string[],
  pins: RetentionPins,
  lifecycleRepository?: string,
): Promise<void> {
  for (const digest of digests) {
    for (const config of await platformConfigs(reader, digest)) {
      const builder = `kept builder ${builderRepository}@${digest.slice(0, 'sha256:'.length + 12)}`;
      for (const name of runImageNames(config)) pins.add(name, `run image of ${builder}`);
      const lifecycle = lifecycleRepository === undefined ? undefined : lifecycleName(config, lifecycleRepository);
      if (lifecycle !== undefined) pins.add(lifecycle, `lifecycle of ${builder}`);
    }
  }
}
