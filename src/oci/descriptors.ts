/** Manifest and index bytes into validated descriptors: the one place a registry's JSON becomes digests and sizes we act on. */
import { isDigest } from './digest.js';
import type { Descriptor, ImageIndex, ImageManifest } from './media-types.js';

/** More entries than any real index or image has; beyond them a manifest is an attack on our time. */
export const MAX_INDEX_ENTRIES = 1000;
export const MAX_LAYERS = 1000;

export class InvalidManifestError extends Error {
  override name = 'InvalidManifestError';
}

/** A manifest or index with every descriptor checked; index entries are unique by digest, in index order. */
export interface ParsedManifest {
  manifests: Descriptor[];
  config?: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * Parses manifest bytes and validates each descriptor in them: digest `sha256:<64 hex>` or
 * `sha512:<128 hex>`, size a non-negative safe integer, at most 1,000 entries or layers.
 * `what` names the manifest (`registry/repository@digest`) in the one-line error.
 */
export function parseManifest(bytes: Uint8Array, what: string): ParsedManifest {
  let parsed: Partial<ImageIndex & ImageManifest>;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<ImageIndex & ImageManifest>;
  } catch {
    throw new InvalidManifestError(`${what}: the manifest is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidManifestError(`${what}: the manifest is not a JSON object`);
  const result: ParsedManifest = {
    manifests: uniqueByDigest(
      descriptorList(parsed.manifests, what, 'index entries', 'index entry', MAX_INDEX_ENTRIES),
    ),
    layers: descriptorList(parsed.layers, what, 'layers', 'layer', MAX_LAYERS),
  };
  if (parsed.config !== undefined) result.config = validateDescriptor(parsed.config, `${what}: config`);
  if (parsed.subject !== undefined) result.subject = validateDescriptor(parsed.subject, `${what}: subject`);
  if (typeof parsed.artifactType === 'string') result.artifactType = parsed.artifactType;
  if (typeof parsed.annotations === 'object' && parsed.annotations !== null) result.annotations = parsed.annotations;
  return result;
}

/** A list of descriptors from a registry (an index's entries, a referrers page), each validated, at most `max`. */
export function descriptorList(
  value: unknown,
  what: string,
  plural: string,
  singular: string,
  max: number,
): Descriptor[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidManifestError(`${what}: ${plural} is not a list`);
  if (value.length > max) throw new InvalidManifestError(`${what}: ${value.length} ${plural}, more than ${max}`);
  return value.map((entry: unknown, i) => validateDescriptor(entry, `${what}: ${singular} ${i}`));
}

/** Checks one descriptor; `label` opens the error, e.g. `registry/repo@sha256:…: layer 3`. */
export function validateDescriptor(value: unknown, label: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidManifestError(`${label} is not a descriptor`);
  const d = value as Partial<Record<keyof Descriptor, unknown>>;
  if (!isDigest(d.digest)) throw new InvalidManifestError(`${label} has an invalid digest ${show(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new InvalidManifestError(`${label} has an invalid size ${show(d.size)}`);
  }
  if (typeof d.mediaType !== 'string' || d.mediaType === '')
    throw new InvalidManifestError(`${label} has an invalid media type ${show(d.mediaType)}`);
  if (d.urls !== undefined && (!Array.isArray(d.urls) || !d.urls.every((url) => typeof url === 'string'))) {
    throw new InvalidManifestError(`${label} has invalid urls`);
  }
  if (d.platform !== undefined && (typeof d.platform !== 'object' || d.platform === null)) {
    throw new InvalidManifestError(`${label} has an invalid platform`);
  }
  return value as Descriptor;
}

/** The first entry of each digest: a child listed twice is fetched and written once. */
function uniqueByDigest(entries: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return entries.filter((entry) => !seen.has(entry.digest) && seen.add(entry.digest) !== undefined);
}

/** A value for an error line, cut short: a hostile registry chooses it. */
function show(value: unknown): string {
  const text = value === undefined ? '(none)' : (JSON.stringify(value) ?? String(value));
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
