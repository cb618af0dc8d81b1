/** Deterministic edits of image manifests, configs and indexes: compact JSON out, re-serialized only when changed. */
import { sha256Digest } from './digest.js';
import { isJsonObject, MutationError, parseJsonObject, serializeJson, type JsonObject } from './json.js';
import {
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  type Descriptor,
} from './media-types.js';

export interface NewLayer {
  /** The compressed layer blob as it will be pushed. */
  bytes: Uint8Array;
  mediaType: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

export interface AppendLayerInput {
  manifestBytes: Uint8Array;
  /** The manifest's media type as served (the document itself may omit `mediaType`). */
  manifestMediaType: string;
  configBytes: Uint8Array;
  layer: NewLayer;
  /** Appended to `history` when the config has a history array; left out otherwise. */
  history?: JsonObject;
  /** Further in-place edits of the parsed config, e.g. a label. */
  configEdit?: (config: JsonObject) => void;
  /** Added to the manifest's annotations; only OCI manifests carry annotations. */
  annotations?: Record<string, string>;
}

export interface AppendLayerResult {
  manifestBytes: Uint8Array;
  manifestDigest: string;
  manifestMediaType: string;
  configBytes: Uint8Array;
  configDescriptor: Descriptor;
  layerDescriptor: Descriptor;
  /** False when annotations were asked for but the manifest is a Docker one, which has none. */
  annotated: boolean;
}

/**
 * Appends one layer to an image: the config gains the diff_id (and a history entry when it keeps
 * history), the manifest gains the layer and points at the new config. All other keys, and their
 * order, stay as they were.
 */
export function appendLayerToImage(input: AppendLayerInput): AppendLayerResult {
  const { manifestMediaType } = input;
  if (manifestMediaType !== OCI_MANIFEST && manifestMediaType !== DOCKER_MANIFEST) {
    throw new MutationError(`cannot add a layer to a manifest of media type "${manifestMediaType}"`);
  }
  const manifest = parseJsonObject(input.manifestBytes, 'image manifest');
  const oldConfigDescriptor = manifest['config'];
  if (!isJsonObject(oldConfigDescriptor) || typeof oldConfigDescriptor['mediaType'] !== 'string') {
    throw new MutationError('image manifest has no config descriptor');
  }
  const layers = manifest['layers'];
  if (!Array.isArray(layers)) throw new MutationError('image manifest has no layers array');

  const config = parseJsonObject(input.configBytes, 'image config');
  const rootfs = config['rootfs'];
  if (!isJsonObject(rootfs) || !Array.isArray(rootfs['diff_ids'])) {
    throw new MutationError('image config has no rootfs.diff_ids array');
  }
  rootfs['diff_ids'].push(input.layer.diffId);
  const history = config['history'];
  if (input.history !== undefined && Array.isArray(history)) history.push(input.history);
  input.configEdit?.(config);

  const configBytes = serializeJson(config);
  const isDocker = manifestMediaType === DOCKER_MANIFEST;
  const configDescriptor = {
    ...oldConfigDescriptor,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  } as unknown as Descriptor;
  const layerDescriptor = descriptorFor(input.layer.mediaType, input.layer.bytes, isDocker);
  manifest['config'] = configDescriptor;
  layers.push(layerDescriptor);

  let annotated = false;
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0 && !isDocker) {
    manifest['annotations'] = mergeAnnotations(manifest['annotations'], input.annotations);
    annotated = true;
  }

  const manifestBytes = serializeJson(manifest);
  return {
    manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
    manifestMediaType,
    configBytes,
    configDescriptor,
    layerDescriptor,
    annotated,
  };
}

/** Docker's schema2 writes `mediaType, size, digest`; the OCI spec `mediaType, digest, size`. */
function descriptorFor(mediaType: string, bytes: Uint8Array, dockerKeyOrder: boolean): Descriptor {
  const digest = sha256Digest(bytes);
  return dockerKeyOrder ? { mediaType, size: bytes.length, digest } : { mediaType, digest, size: bytes.length };
}

function mergeAnnotations(existing: unknown, added: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = isJsonObject(existing) ? { ...(existing as Record<string, string>) } : {};
  for (const [key, value] of Object.entries(added)) merged[key] = value;
  return merged;
}

/**
 * The gzip layer media type of the manifest's family: Docker layers beside Docker layers, OCI
 * beside OCI. An image without layers follows its manifest media type.
 */
export function gzipLayerMediaTypeFor(manifestBytes: Uint8Array, manifestMediaType: string): string {
  const manifest = parseJsonObject(manifestBytes, 'image manifest');
  const layers = Array.isArray(manifest['layers']) ? manifest['layers'] : [];
  for (const layer of layers) {
    const mediaType = isJsonObject(layer) ? layer['mediaType'] : undefined;
    if (typeof mediaType !== 'string') continue;
    if (mediaType.startsWith('application/vnd.docker.')) return DOCKER_LAYER_GZIP;
    if (mediaType.startsWith('application/vnd.oci.')) return OCI_LAYER_GZIP;
  }
  return manifestMediaType === DOCKER_MANIFEST ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP;
}

export interface IndexEntryReplacement {
  digest: string;
  size: number;
}

export interface ReplaceIndexResult {
  bytes: Uint8Array;
  digest: string;
  /** False when annotations were asked for but the index is a Docker manifest list. */
  annotated: boolean;
}

/**
 * Points index entries at new manifests. Each entry keeps its media type, platform, annotations
 * and key order; only `digest` and `size` change. Every replaced digest must be in the index.
 */
export function replaceIndexEntries(
  indexBytes: Uint8Array,
  indexMediaType: string,
  replacements: ReadonlyMap<string, IndexEntryReplacement>,
  annotations?: Record<string, string>,
): ReplaceIndexResult {
  if (indexMediaType !== OCI_INDEX && indexMediaType !== DOCKER_MANIFEST_LIST) {
    throw new MutationError(`cannot replace entries of a manifest of media type "${indexMediaType}"`);
  }
  const index = parseJsonObject(indexBytes, 'image index');
  const entries = index['manifests'];
  if (!Array.isArray(entries)) throw new MutationError('image index has no manifests array');

  const found = new Set<string>();
  index['manifests'] = entries.map((entry: unknown) => {
    if (!isJsonObject(entry) || typeof entry['digest'] !== 'string') return entry;
    const replacement = replacements.get(entry['digest']);
    if (replacement === undefined) return entry;
    found.add(entry['digest']);
    return { ...entry, digest: replacement.digest, size: replacement.size };
  });
  const missing = [...replacements.keys()].filter((digest) => !found.has(digest));
  if (missing.length > 0) throw new MutationError(`image index has no entry with digest ${missing.join(', ')}`);

  let annotated = false;
  if (annotations !== undefined && Object.keys(annotations).length > 0 && indexMediaType === OCI_INDEX) {
    index['annotations'] = mergeAnnotations(index['annotations'], annotations);
    annotated = true;
  }
  const bytes = serializeJson(index);
  return { bytes, digest: sha256Digest(bytes), annotated };
}
