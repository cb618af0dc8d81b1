/** Deterministic layer encoding: a ustar archive in stored-block gzip, whose bytes do not depend on Node or zlib. */
import { sha256Digest } from './digest.js';
import { MutationError } from './json.js';

const encoder = new TextEncoder();

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
export function encodeGzipLayer(
  files: readonly TarFile[],
  mediaType: string,
  mtimeSeconds: number = NORMALIZED_MTIME_SECONDS,
): EncodedLayer {
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
