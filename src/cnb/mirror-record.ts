/** What a mutated builder was made from, recorded in its manifest and index annotations so a re-run can skip it. */
import type { RunImageMirrorMode } from '../inputs.js';
import { isJsonObject } from '../oci/json.js';
import type { RunImageTarget } from './run-images.js';

/** The digest of the source image root (index or manifest) the builder was made from. */
export const SOURCE_DIGEST_ANNOTATION = 'io.ecr-publish.source-digest';
/** The mode and every run image with the copy it was given (or none), as JSON. */
export const RUN_IMAGE_MIRROR_ANNOTATION = 'io.ecr-publish.run-image-mirror';
/** Bumped when the mutation's output changes, so builders made by an older one are made again. */
const FORMAT = 1;

export interface MirrorRecord {
  sourceDigest: string;
  mode: RunImageMirrorMode;
  runImages: RunImageTarget[];
}

export function mirrorAnnotations(record: MirrorRecord): Record<string, string> {
  const runImages = record.runImages.map((r) => ({ source: r.source, copy: r.copy ?? null }));
  return {
    [SOURCE_DIGEST_ANNOTATION]: record.sourceDigest,
    [RUN_IMAGE_MIRROR_ANNOTATION]: JSON.stringify({ format: FORMAT, mode: record.mode, runImages }),
  };
}

/** The record of a manifest or index's annotations; undefined when absent, of another format, or malformed. */
export function readMirrorRecord(annotations: unknown): MirrorRecord | undefined {
  if (!isJsonObject(annotations)) return undefined;
  const sourceDigest = annotations[SOURCE_DIGEST_ANNOTATION];
  const text = annotations[RUN_IMAGE_MIRROR_ANNOTATION];
  if (typeof sourceDigest !== 'string' || typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || value['format'] !== FORMAT) return undefined;
  const mode = value['mode'];
  const list = value['runImages'];
  if ((mode !== 'auto' && mode !== 'primary') || !Array.isArray(list)) return undefined;
  const runImages: RunImageTarget[] = [];
  for (const item of list) {
    if (!isJsonObject(item) || typeof item['source'] !== 'string') return undefined;
    const copy = item['copy'];
    if (copy !== null && typeof copy !== 'string') return undefined;
    runImages.push(copy === null ? { source: item['source'] } : { source: item['source'], copy });
  }
  return { sourceDigest, mode, runImages };
}
