/** The run images a builder label names, and the edit that gives each its destination copy (mirror or image). */
import type { RunImageMirrorMode } from '../inputs.js';
import { isJsonObject } from '../oci/json.js';
import { comparableName } from '../oci/reference.js';
import { BUILDER_METADATA_LABEL } from './labels.js';

export class BuilderMirrorError extends Error {
  override name = 'BuilderMirrorError';
}

/** One `[[images]]` table of `run.toml` (or `[run-image]` of `stack.toml`). */
export interface RunImage {
  image: string;
  mirrors: string[];
}

/** A run image the builder names, and its copy in the destination when there is one. */
export interface RunImageTarget {
  source: string;
  copy?: string;
}

/**
 * Every run image of the label, in label order: each `images[]` entry (pack ≥ 0.30), else the older
 * `stack.runImage`. Entries without an image are skipped, as pack skips them.
 */
export function runImagesOf(metadata: Record<string, unknown>): RunImage[] {
  const images = metadata['images'];
  if (Array.isArray(images) && images.some(hasImage)) {
    return images.filter(hasImage).map((entry) => ({ image: entry['image'], mirrors: mirrorsOf(entry) }));
  }
  const stackRun = stackRunEntry(metadata);
  return stackRun === undefined ? [] : [{ image: stackRun['image'], mirrors: mirrorsOf(stackRun) }];
}

/** `cnb/stack.toml` follows `stack.runImage` when set, else the first run image, as pack writes it. */
export function stackRunImage(metadata: Record<string, unknown>): RunImage {
  const stackRun = stackRunEntry(metadata);
  if (stackRun !== undefined) return { image: stackRun['image'], mirrors: mirrorsOf(stackRun) };
  const first = runImagesOf(metadata)[0];
  if (first === undefined) throw new BuilderMirrorError(`label ${BUILDER_METADATA_LABEL} names no run image`);
  return first;
}

/** The distinct run-image names of `images[]` and `stack.runImage` (compared as normalized names), label order. */
export function runImageNames(metadata: Record<string, unknown>): string[] {
  const names = new Map<string, string>();
  const stackRun = stackRunEntry(metadata);
  for (const name of [...runImagesOf(metadata).map((r) => r.image), ...(stackRun ? [stackRun['image']] : [])]) {
    if (!names.has(normalizedName(name))) names.set(normalizedName(name), name);
  }
  return [...names.values()];
}

/**
 * Gives each run image of the label that has a copy that copy, in place: `auto` adds it to `mirrors`
 * (unless listed already, as a normalized name); `primary` makes it the `image` and moves the original
 * to the front of `mirrors`. Run images without a copy stay as they are. New keys go last.
 */
export function applyRunImageCopies(
  metadata: Record<string, unknown>,
  targets: readonly RunImageTarget[],
  mode: RunImageMirrorMode,
): { changed: boolean } {
  const entries: Record<string, unknown>[] = [];
  const images = metadata['images'];
  if (Array.isArray(images)) entries.push(...images.filter(hasImage));
  const stackRun = stackRunEntry(metadata);
  if (stackRun !== undefined) entries.push(stackRun);
  if (entries.length === 0) {
    throw new BuilderMirrorError(
      `label ${BUILDER_METADATA_LABEL} names no run image (neither images[].image nor stack.runImage.image)`,
    );
  }
  const copies = new Map(
    targets.flatMap((t) => (t.copy === undefined ? [] : [[normalizedName(t.source), t.copy] as const])),
  );
  let changed = false;
  for (const entry of entries) {
    const image = entry['image'] as string;
    const copy = copies.get(normalizedName(image));
    if (copy === undefined) continue;
    const mirrors = mirrorsOf(entry);
    if (mode === 'auto') {
      if ([image, ...mirrors].map(normalizedName).includes(normalizedName(copy))) continue;
      entry['mirrors'] = [...mirrors, copy];
    } else {
      if (normalizedName(image) === normalizedName(copy)) continue; // already the run image
      const others = mirrors.filter((m) => ![image, copy].map(normalizedName).includes(normalizedName(m)));
      entry['image'] = copy;
      entry['mirrors'] = [image, ...others];
    }
    changed = true;
  }
  return { changed };
}

function stackRunEntry(metadata: Record<string, unknown>): (Record<string, unknown> & { image: string }) | undefined {
  const stack = metadata['stack'];
  const stackRun = isJsonObject(stack) ? stack['runImage'] : undefined;
  return hasImage(stackRun) ? stackRun : undefined;
}

function hasImage(entry: unknown): entry is Record<string, unknown> & { image: string } {
  return isJsonObject(entry) && typeof entry['image'] === 'string' && entry['image'] !== '';
}

/** Go writes a nil slice as `null`; that is "no mirrors". */
function mirrorsOf(entry: Record<string, unknown>): string[] {
  const mirrors = entry['mirrors'];
  if (mirrors === undefined || mirrors === null) return [];
  if (!Array.isArray(mirrors) || !mirrors.every((m) => typeof m === 'string')) {
    throw new BuilderMirrorError(
      `label ${BUILDER_METADATA_LABEL}: run image "${String(entry['image'])}" has mirrors that are not a list of strings`,
    );
  }
  return mirrors as string[];
}

/** `docker.io/x` and `index.docker.io/x:latest` are one name. */
export function normalizedName(name: string): string {
  try {
    return comparableName(name);
  } catch {
    return name; // an unparsable existing entry still compares as itself
  }
}
