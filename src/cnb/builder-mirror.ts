/** Adds a run-image mirror to ONE platform manifest of a CNB builder: label, `cnb/*.toml` layer, config, manifest. */
import { sha256Digest } from '../oci/digest.js';
import { type Descriptor } from '../oci/media-types.js';
import { isJsonObject, parseJsonObject } from '../oci/json.js';
import { encodeGzipLayer, type EncodedLayer } from '../oci/layer.js';
import { appendLayerToImage, gzipLayerMediaTypeFor } from '../oci/mutate.js';
import { comparableName, parseReference } from '../oci/reference.js';
import { parseBuilderMetadata } from './classify.js';
import { BUILDER_METADATA_LABEL } from './labels.js';

/** Manifest annotation recording the digest of the source image the builder was made from. */
export const SOURCE_DIGEST_ANNOTATION = 'io.ecr-publish.source-digest';
/** pack's normalized timestamp, used for the history entry as for the layer's files. */
export const MIRROR_HISTORY_CREATED = '1980-01-01T00:00:01Z';
export const STACK_TOML_PATH = 'cnb/stack.toml';
export const RUN_TOML_PATH = 'cnb/run.toml';

export class BuilderMirrorError extends Error {
  override name = 'BuilderMirrorError';
}

export interface RunImage {
  image: string;
  mirrors: string[];
}

export interface BuilderMirrorInput {
  manifest: { bytes: Uint8Array; mediaType: string };
  config: Uint8Array;
  /** e.g. `public.ecr.aws/paketo-buildpacks/run-jammy-base:latest` */
  mirror: string;
  /** Digest of the source image root (index or manifest), recorded in the new manifest. */
  sourceDigest: string;
}

interface MirrorOutputCommon {
  manifest: { bytes: Uint8Array; mediaType: string; digest: string };
  config: { bytes: Uint8Array; digest: string; descriptor: Descriptor };
  /** The builder metadata label after the edit, parsed. */
  label: Record<string, unknown>;
  /** The run image the lifecycle will use, with its mirrors after the edit. */
  runImage: RunImage;
}

/** The mirror was added: new manifest, config and layer. */
export interface MirrorAdded extends MirrorOutputCommon {
  changed: true;
  layer: EncodedLayer;
  /** False for Docker manifests, which have no annotations, so the source digest is not recorded. */
  annotated: boolean;
}

/** The builder already lists the mirror everywhere: manifest and config are the source's own bytes. */
export interface MirrorAlreadyPresent extends MirrorOutputCommon {
  changed: false;
}

export type BuilderMirrorResult = MirrorAdded | MirrorAlreadyPresent;

/**
 * Edits the builder label, adds a layer with `cnb/stack.toml` and `cnb/run.toml` (which the lifecycle
 * actually reads), then the config and the manifest. Pure and deterministic: the same input gives the
 * same bytes on any Node.
 */
export function addRunImageMirrorToBuilder(input: BuilderMirrorInput): BuilderMirrorResult {
  const mirror = input.mirror.trim();
  try {
    parseReference(mirror);
  } catch (error) {
    throw new BuilderMirrorError(`run-image mirror: ${(error as Error).message}`);
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(input.sourceDigest)) {
    throw new BuilderMirrorError(`source digest "${input.sourceDigest}" is not a sha256 digest`);
  }

  const config = parseJsonObject(input.config, 'builder image config');
  if (config['os'] === 'windows') throw new BuilderMirrorError('windows builders are not supported');

  let metadata: Record<string, unknown>;
  try {
    metadata = parseBuilderMetadata(config);
  } catch (error) {
    throw new BuilderMirrorError((error as Error).message);
  }
  const { changed } = addMirrorToBuilderMetadata(metadata, mirror);
  const runImage = effectiveRunImage(metadata);

  if (!changed) {
    const manifest = parseJsonObject(input.manifest.bytes, 'image manifest');
    return {
      changed: false,
      manifest: { ...input.manifest, digest: sha256Digest(input.manifest.bytes) },
      config: { bytes: input.config, digest: sha256Digest(input.config), descriptor: manifest['config'] as Descriptor },
      label: metadata,
      runImage,
    };
  }

  const layer = encodeGzipLayer(
    [
      { name: STACK_TOML_PATH, content: stackToml(stackRunImage(metadata)) },
      { name: RUN_TOML_PATH, content: runToml(runImagesOf(metadata)) },
    ],
    gzipLayerMediaTypeFor(input.manifest.bytes, input.manifest.mediaType),
  );

  const labelText = serializeLabelLikeGo(metadata);
  const result = appendLayerToImage({
    manifestBytes: input.manifest.bytes,
    manifestMediaType: input.manifest.mediaType,
    configBytes: input.config,
    layer,
    history: { created: MIRROR_HISTORY_CREATED, created_by: `ecr-publish: add run-image mirror ${mirror}` },
    configEdit: (edited) => {
      // parseBuilderMetadata found the label here, so the path exists.
      const labels = (edited['config'] as Record<string, unknown>)['Labels'] as Record<string, string>;
      labels[BUILDER_METADATA_LABEL] = labelText;
    },
    annotations: { [SOURCE_DIGEST_ANNOTATION]: input.sourceDigest },
  });

  return {
    changed: true,
    manifest: { bytes: result.manifestBytes, mediaType: result.manifestMediaType, digest: result.manifestDigest },
    config: { bytes: result.configBytes, digest: result.configDescriptor.digest, descriptor: result.configDescriptor },
    layer,
    label: metadata,
    runImage,
    annotated: result.annotated,
  };
}

/**
 * Adds `mirror` in place to `images[0].mirrors` and, when `stack.runImage.image` is set, to
 * `stack.runImage.mirrors`. A mirror already listed (or equal to the run image itself), compared
 * as normalized names, is not added again. New keys go last; all others keep their order.
 */
export function addMirrorToBuilderMetadata(metadata: Record<string, unknown>, mirror: string): { changed: boolean } {
  const targets: Record<string, unknown>[] = [];
  const images = metadata['images'];
  if (Array.isArray(images) && isJsonObject(images[0]) && nonEmptyString(images[0]['image'])) targets.push(images[0]);
  const stack = metadata['stack'];
  const stackRun = isJsonObject(stack) ? stack['runImage'] : undefined;
  if (isJsonObject(stackRun) && nonEmptyString(stackRun['image'])) targets.push(stackRun);
  if (targets.length === 0) {
    throw new BuilderMirrorError(
      `label ${BUILDER_METADATA_LABEL} names no run image (neither images[0].image nor stack.runImage.image)`,
    );
  }

  const wanted = normalizedName(mirror);
  let changed = false;
  for (const target of targets) {
    const mirrors = mirrorsOf(target);
    const known = [target['image'] as string, ...mirrors].map(normalizedName);
    if (known.includes(wanted)) continue;
    target['mirrors'] = [...mirrors, mirror];
    changed = true;
  }
  return { changed };
}

/** What the lifecycle picks: `images[0]` on current builders, `stack.runImage` on older ones. */
export function effectiveRunImage(metadata: Record<string, unknown>): RunImage {
  const images = runImagesOf(metadata);
  const first = images[0];
  if (first === undefined) throw new BuilderMirrorError(`label ${BUILDER_METADATA_LABEL} names no run image`);
  return first;
}

/** `cnb/stack.toml` follows `stack.runImage` when set, else `images[0]`, as pack writes it. */
function stackRunImage(metadata: Record<string, unknown>): RunImage {
  const stack = metadata['stack'];
  const stackRun = isJsonObject(stack) ? stack['runImage'] : undefined;
  if (isJsonObject(stackRun) && nonEmptyString(stackRun['image'])) {
    return { image: stackRun['image'], mirrors: mirrorsOf(stackRun) };
  }
  return effectiveRunImage(metadata);
}

/** Every `images` entry; an older builder with only `stack.runImage` gives that one. */
function runImagesOf(metadata: Record<string, unknown>): RunImage[] {
  const images = metadata['images'];
  if (Array.isArray(images) && isJsonObject(images[0]) && nonEmptyString(images[0]['image'])) {
    return images
      .filter((entry): entry is Record<string, unknown> => isJsonObject(entry) && nonEmptyString(entry['image']))
      .map((entry) => ({ image: entry['image'] as string, mirrors: mirrorsOf(entry) }));
  }
  const stack = metadata['stack'];
  const stackRun = isJsonObject(stack) ? stack['runImage'] : undefined;
  if (isJsonObject(stackRun) && nonEmptyString(stackRun['image'])) {
    return [{ image: stackRun['image'], mirrors: mirrorsOf(stackRun) }];
  }
  return [];
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

function normalizedName(name: string): string {
  try {
    return comparableName(name);
  } catch {
    return name; // an unparsable existing entry still compares as itself
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** `[run-image]` with `image` and `mirrors`, laid out as pack's TOML encoder writes it. */
export function stackToml(runImage: RunImage): string {
  return `[run-image]\n${runImageBody(runImage)}`;
}

/** One `[[images]]` table per run image, laid out as pack's TOML encoder writes it. */
export function runToml(images: readonly RunImage[]): string {
  return images.map((runImage) => `[[images]]\n${runImageBody(runImage)}`).join('\n');
}

function runImageBody(runImage: RunImage): string {
  let body = `  image = ${tomlString(runImage.image)}\n`;
  if (runImage.mirrors.length > 0) body += `  mirrors = [${runImage.mirrors.map(tomlString).join(', ')}]\n`;
  return body;
}

function tomlString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Compact JSON with Go's encoding/json HTML escapes, so an unchanged value reads the same as pack wrote it. */
export function serializeLabelLikeGo(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
