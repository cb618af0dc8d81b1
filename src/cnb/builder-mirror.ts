/** Gives the run images of ONE platform manifest of a CNB builder their copies: label, `cnb/*.toml` layer, config, manifest. */
import { sha256Digest } from '../oci/digest.js';
import { type Descriptor } from '../oci/media-types.js';
import { parseJsonObject } from '../oci/json.js';
import { encodeGzipLayer, type EncodedLayer } from '../oci/layer.js';
import { appendLayerToImage, gzipLayerMediaTypeFor } from '../oci/mutate.js';
import { parseReference } from '../oci/reference.js';
import type { RunImageMirrorMode } from '../inputs.js';
import { parseBuilderMetadata } from './classify.js';
import { BUILDER_METADATA_LABEL } from './labels.js';
import { mirrorAnnotations, SOURCE_DIGEST_ANNOTATION } from './mirror-record.js';
import {
  applyRunImageCopies,
  BuilderMirrorError,
  runImagesOf,
  stackRunImage,
  type RunImage,
  type RunImageTarget,
} from './run-images.js';

/** pack's normalized timestamp, used for the history entry as for the layer's files. */
export const MIRROR_HISTORY_CREATED = '1980-01-01T00:00:01Z';
export const STACK_TOML_PATH = 'cnb/stack.toml';
export const RUN_TOML_PATH = 'cnb/run.toml';

export { BuilderMirrorError, SOURCE_DIGEST_ANNOTATION, type RunImage, type RunImageTarget };

export interface BuilderMirrorInput {
  manifest: { bytes: Uint8Array; mediaType: string };
  config: Uint8Array;
  /** Every run image the builder names, with its destination copy when it has one. */
  runImages: readonly RunImageTarget[];
  /** `auto`: each copy becomes a mirror; `primary`: each copy becomes the run image, the original its first mirror. */
  mode: RunImageMirrorMode;
  /** Digest of the source image root (index or manifest), recorded in the new manifest. */
  sourceDigest: string;
}

interface MirrorOutputCommon {
  manifest: { bytes: Uint8Array; mediaType: string; digest: string };
  config: { bytes: Uint8Array; digest: string; descriptor: Descriptor };
  /** The builder metadata label after the edit, parsed. */
  label: Record<string, unknown>;
  /** The run images of the source label, and after the edit. */
  before: RunImage[];
  after: RunImage[];
}

/** The copies were applied: new manifest, config and layer. */
export interface MirrorAdded extends MirrorOutputCommon {
  changed: true;
  layer: EncodedLayer;
  /** False for Docker manifests, which have no annotations, so the source digest is not recorded. */
  annotated: boolean;
}

/** The builder already names every copy as the mode wants: manifest and config are the source's own bytes. */
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
  const copies = input.runImages.flatMap((r) => (r.copy === undefined ? [] : [r.copy.trim()]));
  for (const copy of copies) {
    try {
      parseReference(copy);
    } catch (error) {
      throw new BuilderMirrorError(`run-image mirror: ${(error as Error).message}`);
    }
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
  const before = runImagesOf(metadata);
  const targets = input.runImages.map((r) => (r.copy === undefined ? r : { ...r, copy: r.copy.trim() }));
  const { changed } = applyRunImageCopies(metadata, targets, input.mode);
  const after = runImagesOf(metadata);

  if (!changed) {
    const manifest = parseJsonObject(input.manifest.bytes, 'image manifest');
    return {
      changed: false,
      manifest: { ...input.manifest, digest: sha256Digest(input.manifest.bytes) },
      config: { bytes: input.config, digest: sha256Digest(input.config), descriptor: manifest['config'] as Descriptor },
      label: metadata,
      before,
      after,
    };
  }

  const layer = encodeGzipLayer(
    [
      { name: STACK_TOML_PATH, content: stackToml(stackRunImage(metadata)) },
      { name: RUN_TOML_PATH, content: runToml(after) },
    ],
    gzipLayerMediaTypeFor(input.manifest.bytes, input.manifest.mediaType),
  );

  const labelText = serializeLabelLikeGo(metadata);
  const createdBy =
    input.mode === 'auto'
      ? `ecr-publish: add run-image mirror ${copies.join(', ')}`
      : `ecr-publish: run image ${copies.join(', ')}, the original as its first mirror`;
  const result = appendLayerToImage({
    manifestBytes: input.manifest.bytes,
    manifestMediaType: input.manifest.mediaType,
    configBytes: input.config,
    layer,
    history: { created: MIRROR_HISTORY_CREATED, created_by: createdBy },
    configEdit: (edited) => {
      // parseBuilderMetadata found the label here, so the path exists.
      const labels = (edited['config'] as Record<string, unknown>)['Labels'] as Record<string, string>;
      labels[BUILDER_METADATA_LABEL] = labelText;
    },
    annotations: mirrorAnnotations({ sourceDigest: input.sourceDigest, mode: input.mode, runImages: targets }),
  });

  return {
    changed: true,
    manifest: { bytes: result.manifestBytes, mediaType: result.manifestMediaType, digest: result.manifestDigest },
    config: { bytes: result.configBytes, digest: result.configDescriptor.digest, descriptor: result.configDescriptor },
    layer,
    label: metadata,
    before,
    after,
    annotated: result.annotated,
  };
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
