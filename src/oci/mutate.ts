/**
 * Generic, deterministic edits of image manifests, configs and indexes, and a layer encoder
 * whose bytes do not depend on the Node or zlib version.
 *
 * Everything written here is compact `JSON.stringify` output without a trailing newline.
 * Source documents are parsed and re-serialized only when they are being changed.
 */
import { sha256Digest } from './digest.js';
import {
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  type Descriptor,
} from './media-types.js';

export class MutationError extends Error {
  override name = 'MutationError';
}

type JsonObject = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------------------------------------
// JSON helpers

export function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new MutationError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new MutationError(`${what} is not a JSON object`);
  return value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function serializeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

// ---------------------------------------------------------------------------------------------
// Manifest and config

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
  const configDescriptor = { ...oldConfigDescriptor, digest: sha256Digest(configBytes), size: configBytes.length } as unknown as Descriptor;
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

// ---------------------------------------------------------------------------------------------
// Index

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

// ---------------------------------------------------------------------------------------------
// Deterministic layer encoding

export interface TarFile {
  /** Path inside the layer, without a leading slash. */
  name: string;
  content: Uint8Array | string;
}

/** The time pack and the lifecycle stamp on files they write: 1980-01-01T00:00:01Z. */
export const NORMALIZED_MTIME_SECONDS = 315532801;

const BLOCK = 512;

/**
 * A ustar archive of regular files, mode 0644, owned by 0:0 with empty owner names, all with the
 * same mtime. No directory entries. Ends with two zero blocks, without padding to a record.
 */
export function tarFiles(files: readonly TarFile[], mtimeSeconds: number = NORMALIZED_MTIME_SECONDS): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const file of files) {
    const content = typeof file.content === 'string' ? encoder.encode(file.content) : file.content;
    parts.push(ustarHeader(file.name, content.length, mtimeSeconds));
    parts.push(content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return concat(parts);
}

function ustarHeader(name: string, size: number, mtimeSeconds: number): Uint8Array {
  const nameBytes = encoder.encode(name);
  if (name === '' || name.startsWith('/') || nameBytes.length > 100) {
    throw new MutationError(`tar entry name "${name}" must be relative, non-empty and at most 100 bytes`);
  }
  if (!Number.isInteger(mtimeSeconds) || mtimeSeconds < 0 || mtimeSeconds > 0o77777777777) {
    throw new MutationError(`tar mtime ${mtimeSeconds} is out of range`);
  }
  if (size > 0o77777777777) throw new MutationError(`tar entry "${name}" is too large for a ustar header`);

  const header = new Uint8Array(BLOCK);
  header.set(nameBytes, 0);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtimeSeconds);
  header.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  header[156] = 0x30; // '0': regular file
  header.set(encoder.encode('ustar\u000000'), 257);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  writeOctal(header, 148, 7, checksum);
  header[155] = 0x20;
  return header;
}

/** Zero-padded octal digits filling `width - 1` bytes, then a NUL. */
function writeOctal(target: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  target.set(encoder.encode(digits), offset);
  target[offset + width - 1] = 0;
}

const MAX_STORED_BLOCK = 0xffff;

/**
 * gzip whose deflate stream holds only stored (uncompressed) blocks, so every byte is fixed by
 * the input: mtime 0, no name, XFL 0, OS 255 (unknown). The layers it makes are tiny, so the
 * missing compression costs nothing.
 */
export function storedGzip(data: Uint8Array): Uint8Array {
  const blockCount = Math.max(1, Math.ceil(data.length / MAX_STORED_BLOCK));
  const out = new Uint8Array(10 + blockCount * 5 + data.length + 8);
  out.set([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff], 0);
  let at = 10;
  for (let block = 0; block < blockCount; block++) {
    const start = block * MAX_STORED_BLOCK;
    const length = Math.min(MAX_STORED_BLOCK, data.length - start);
    out[at] = block === blockCount - 1 ? 0x01 : 0x00; // BFINAL bit, BTYPE 00
    writeUint16LE(out, at + 1, length);
    writeUint16LE(out, at + 3, ~length & 0xffff);
    out.set(data.subarray(start, start + length), at + 5);
    at += 5 + length;
  }
  writeUint32LE(out, at, crc32(data));
  writeUint32LE(out, at + 4, data.length >>> 0);
  return out;
}

function writeUint16LE(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value & 0xff;
  target[offset + 1] = (value >>> 8) & 0xff;
}

function writeUint32LE(target: Uint8Array, offset: number, value: number): void {
  writeUint16LE(target, offset, value & 0xffff);
  writeUint16LE(target, offset + 2, value >>> 16);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as gzip uses it (IEEE 802.3, reflected). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface EncodedLayer {
  /** The gzip blob. */
  bytes: Uint8Array;
  digest: string;
  size: number;
  mediaType: string;
  /** sha256 of the tar. */
  diffId: string;
}

/** tar → stored gzip, with the digests a manifest and a config need. */
export function encodeGzipLayer(files: readonly TarFile[], mediaType: string, mtimeSeconds: number = NORMALIZED_MTIME_SECONDS): EncodedLayer {
  const tar = tarFiles(files, mtimeSeconds);
  const bytes = storedGzip(tar);
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, mediaType, diffId: sha256Digest(tar) };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
