/** What kind of Cloud Native Buildpacks image a config describes, read from its labels. */

import {
  BASE_LABEL_PREFIX,
  BUILDER_METADATA_LABEL,
  BUILDPACK_LAYERS_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  EXTENSION_METADATA_LABEL,
  STACK_ID_LABEL,
} from './labels.js';

export type ImageKind = 'builder' | 'buildpack' | 'extension' | 'stack-image' | 'other';

export class ClassifyError extends Error {
  override name = 'ClassifyError';
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses image config bytes; an already parsed config passes through. */
export function parseImageConfig(config: Uint8Array | object): Record<string, unknown> {
  if (!(config instanceof Uint8Array)) return config as Record<string, unknown>;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(config));
  } catch (error) {
    throw new ClassifyError(`image config is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClassifyError('image config is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** `config.Labels` of an image config, string values only; none when absent. */
export function imageLabels(config: Uint8Array | object): Record<string, string> {
  const parsed = parseImageConfig(config);
  const runConfig = parsed['config'];
  if (typeof runConfig !== 'object' || runConfig === null) return {};
  const labels = (runConfig as Record<string, unknown>)['Labels'];
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return {};
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}

/**
 * Builders also carry the stack id and buildpack-layers labels, and buildpackages the latter, so
 * the most specific label decides.
 */
export function classifyImage(config: Uint8Array | object): ImageKind {
  const labels = imageLabels(config);
  const has = (label: string): boolean => Object.hasOwn(labels, label);
  if (has(BUILDER_METADATA_LABEL)) return 'builder';
  if (has(BUILDPACKAGE_METADATA_LABEL)) return 'buildpack';
  if (has(EXTENSION_METADATA_LABEL)) return 'extension';
  if (has(BUILDPACK_LAYERS_LABEL)) return 'buildpack';
  if (has(STACK_ID_LABEL) || Object.keys(labels).some((key) => key.startsWith(BASE_LABEL_PREFIX))) return 'stack-image';
  return 'other';
}

/** The parsed `io.buildpacks.builder.metadata` label, key order kept. */
export function parseBuilderMetadata(config: Uint8Array | object): Record<string, unknown> {
  const text = imageLabels(config)[BUILDER_METADATA_LABEL];
  if (text === undefined) throw new ClassifyError(`image config has no ${BUILDER_METADATA_LABEL} label`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClassifyError(`label ${BUILDER_METADATA_LABEL} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new ClassifyError(`label ${BUILDER_METADATA_LABEL} is not a JSON object`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
