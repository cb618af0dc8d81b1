/** Every action input, read once and validated before anything is contacted; the one scan-ignore parser. */
// Bad input throws an `InputError` whose message is one line naming the input and what is wrong.
//
// Inputs that only apply to one registry type are an error with the other one when set to
// anything but their default: a gate, retention or encryption setting that would be silently
// ignored is worse than a failed run. Values equal to the default are accepted, so the defaults in
// action.yml never trip this.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { isValidTag, parseReference, type Reference } from '../oci/reference.js';
import { destinationNameProblem, destinationRepository, repositoryPrefixProblem } from '../plan/naming.js';
import { destinationConflict, type RegistryType } from '../plan/plan.js';
import { parseTagTemplate, type TagTemplate } from '../plan/tags.js';
import {
  SEVERITIES,
  type EncryptionType,
  type IgnoreEntry,
  type ImageInput,
  type Inputs,
  type SeverityThreshold,
  type TagMutability,
} from '../inputs.js';

export type {
  EncryptionType,
  IgnoreEntry,
  ImageInput,
  ImageSpec,
  Inputs,
  RegistryType,
  Severity,
  SeverityThreshold,
  TagMutability,
} from '../inputs.js';

export class InputError extends Error {
  override name = 'InputError';
  constructor(input: string, problem: string) {
    // One line, whatever the value held.
    super(`Input "${input}": ${problem}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

export const DEFAULT_TAG_TEMPLATES = ['{{tag}}', 'latest'];
/** ECR Public allows 10 TPS for layer-upload and PutImage calls. */
export const PUBLIC_WRITE_RATE_LIMIT = 10;

const THRESHOLDS: readonly SeverityThreshold[] = ['NONE', ...SEVERITIES];
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\x21-\x7e]{0,510}\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const REGION = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const PUBLIC_ALIAS = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// Vendor-prefixed IDs as the scan gate matches them: CVE-2024-1234, GHSA-…, ALAS2023-2024-123, RHSA-2024:1234.
const VULNERABILITY_ID = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.:_-]*$/;
const FINDING_ARN = /^arn:(?:aws|aws-cn|aws-us-gov):inspector2:[a-z0-9-]+:\d{12}:finding\/[\w-]+$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LIFECYCLE_POLICY_MAX = 30720;
const REPOSITORY_POLICY_MAX = 10240;

type GetInput = (name: string) => string;

const quote = (value: string): string => JSON.stringify(value);

/** Non-blank lines with `#` comments removed; `#` never occurs in references, tags or IDs. */
function meaningfulLines(value: string): { line: number; text: string }[] {
  return value
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, text: raw.replace(/#.*$/, '').trim() }))
    .filter((entry) => entry.text !== '');
}

/** Newline- or comma-separated values, for inputs whose items cannot contain commas. */
function listItems(value: string): string[] {
  return meaningfulLines(value).flatMap((entry) => entry.text.split(',').map((item) => item.trim()).filter((item) => item !== ''));
}

function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new InputError(name, `${quote(value)} is not a boolean; use true or false`);
}

function parseAutoOrFalse(name: string, value: string): 'auto' | false {
  const lower = value.toLowerCase();
  // `true` reads as the default behaviour, which is what people mean by it.
  if (lower === '' || lower === 'auto' || lower === 'true') return 'auto';
  if (lower === 'false') return false;
  throw new InputError(name, `${quote(value)} is not allowed; use auto or false`);
}

function parseWholeNumber(name: string, value: string, fallback: number, min: number, max: number, unit: string): number {
  if (value === '') return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(name, `${quote(value)} is not a whole number of ${unit} between ${min} and ${max}`);
  }
  return n;
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[], fallback: T): T {
  if (value === '') return fallback;
  const upper = value.toUpperCase();
  const found = choices.find((choice) => choice === upper);
  if (found === undefined) throw new InputError(name, `${quote(value)} is not one of ${choices.join(', ')}`);
  return found;
}

function parseImages(value: string, prefix: string): ImageInput[] {
  const images: ImageInput[] = [];
  for (const { line, text } of meaningfulLines(value)) {
    const where = `line ${line} ${quote(text)}`;
    const arrow = text.indexOf('=>');
    const refText = (arrow < 0 ? text : text.slice(0, arrow)).trim();
    const renameText = arrow < 0 ? undefined : text.slice(arrow + 2).trim();
    let source: Reference;
    try {
      source = parseReference(refText);
    } catch (error) {
      throw new InputError('images', `${where}: ${(error as Error).message}`);
    }
    if (renameText !== undefined && renameText === '') throw new InputError('images', `${where}: a name is missing after "=>"`);
    const repository = destinationRepository(source, prefix, renameText);
    const problem = destinationNameProblem(repository);
    if (problem !== undefined) throw new InputError('images', `${where}: destination repository ${problem}`);
    images.push({ source, text, repository, ...(renameText !== undefined ? { rename: renameText } : {}) });
  }
  if (images.length === 0) throw new InputError('images', 'no image references given');
  const conflict = destinationConflict(images, prefix);
  if (conflict !== undefined) throw new InputError('images', conflict);
  return images;
}

function parseTemplates(value: string): TagTemplate[] {
  const texts = value === '' ? DEFAULT_TAG_TEMPLATES : listItems(value);
  if (texts.length === 0) throw new InputError('tags', 'no tag templates given');
  return texts.map((text) => {
    try {
      return parseTagTemplate(text);
    } catch (error) {
      throw new InputError('tags', (error as Error).message);
    }
  });
}

/**
 * The `scan-ignore` input: one entry a line, `ID` or `ID until YYYY-MM-DD`; blank lines and `#`
 * comments are skipped. The gate only ever sees entries that passed here.
 */
export function parseScanIgnore(value: string): IgnoreEntry[] {
  return meaningfulLines(value).map(({ line, text }) => {
    const match = /^(\S+)(?:\s+until\s+(\S+))?$/i.exec(text);
    const id = match?.[1];
    if (match === null || id === undefined) {
      throw new InputError('scan-ignore', `line ${line} ${quote(text)} is not "ID" or "ID until YYYY-MM-DD"`);
    }
    if (!FINDING_ARN.test(id) && !VULNERABILITY_ID.test(id)) {
      throw new InputError('scan-ignore', `line ${line}: ${quote(id)} is neither a vulnerability ID like CVE-2024-1234 nor an Inspector finding ARN`);
    }
    const until = match[2];
    if (until !== undefined && !isRealDate(until)) {
      throw new InputError('scan-ignore', `line ${line}: ${quote(until)} is not a date (YYYY-MM-DD)`);
    }
    return { id, ...(until !== undefined ? { until } : {}) };
  });
}

function isRealDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * A policy input holds JSON text (it starts with `{`) or a path to a JSON file, relative to the
 * workspace. Returns the JSON text after checking that it parses to an object.
 */
function readPolicy(name: string, value: string, env: Record<string, string | undefined>, check: (policy: Record<string, unknown>) => string | undefined, maxLength: number): string | undefined {
  if (value === '') return undefined;
  let text = value;
  let origin = 'the JSON text';
  if (!value.startsWith('{') && !value.startsWith('[')) {
    const path = isAbsolute(value) ? value : resolve(env['GITHUB_WORKSPACE'] ?? process.cwd(), value);
    if (!existsSync(path)) throw new InputError(name, `file ${quote(value)} does not exist (and the value is not JSON text)`);
    if (!statSync(path).isFile()) throw new InputError(name, `${quote(value)} is not a file`);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InputError(name, `cannot read file ${quote(value)}: ${(error as Error).message}`);
    }
    origin = `file ${quote(value)}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(name, `${origin} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(name, `${origin} is not a JSON object`);
  }
  const problem = check(parsed as Record<string, unknown>);
  if (problem !== undefined) throw new InputError(name, `${origin} ${problem}`);
  if (text.length > maxLength) throw new InputError(name, `${origin} is longer than ${maxLength} characters`);
  return text;
}

const lifecycleCheck = (policy: Record<string, unknown>): string | undefined =>
  Array.isArray(policy['rules']) && policy['rules'].length > 0 ? undefined : 'has no "rules" list';

const repositoryPolicyCheck = (policy: Record<string, unknown>): string | undefined =>
  'Statement' in policy ? undefined : 'has no "Statement"';

function parseWriteRateLimit(value: string, registryType: RegistryType): number {
  if (value === '' || value.toLowerCase() === 'auto') return registryType === 'public' ? PUBLIC_WRITE_RATE_LIMIT : 0;
  const n = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n > 10000) {
    throw new InputError('write-rate-limit', `${quote(value)} is not auto or a number of requests per second from 0 (no limit) to 10000`);
  }
  return n;
}

function defaultSessionName(env: Record<string, string | undefined>): string {
  const runId = env['GITHUB_RUN_ID'];
  return runId !== undefined && /^\d{1,52}$/.test(runId) ? `ecr-publish-${runId}` : 'ecr-publish';
}

/** Reads and validates every input. Touches nothing but policy files. */
export function parseInputs(getInput: GetInput, env: Record<string, string | undefined>): Inputs {
  const get = (name: string): string => getInput(name).trim();

  const registryTypeInput = get('registry-type');
  const registryTypeText = registryTypeInput.toLowerCase() || 'public';
  if (registryTypeText !== 'public' && registryTypeText !== 'private') {
    throw new InputError('registry-type', `${quote(registryTypeInput)} is not public or private`);
  }
  const registryType: RegistryType = registryTypeText;
  const isPublic = registryType === 'public';
  const onlyFor = (name: string, type: RegistryType): never => {
    throw new InputError(name, `only applies to registry-type ${type}`);
  };

  const repositoryPrefix = get('repository-prefix');
  const prefixProblem = repositoryPrefixProblem(repositoryPrefix);
  if (prefixProblem !== undefined) throw new InputError('repository-prefix', prefixProblem);

  const images = parseImages(getInput('images'), repositoryPrefix);

  const alias = get('public-registry-alias');
  if (isPublic && alias === '') throw new InputError('public-registry-alias', 'is required with registry-type public');
  if (!isPublic && alias !== '') onlyFor('public-registry-alias', 'public');
  if (alias !== '' && (alias.length < 2 || alias.length > 50 || !PUBLIC_ALIAS.test(alias))) {
    throw new InputError('public-registry-alias', `${quote(alias)} is not an ECR Public alias (2 to 50 lowercase letters, digits, and . _ - between them)`);
  }

  const regionInput = get('aws-region');
  const awsRegion = regionInput || env['AWS_REGION']?.trim() || env['AWS_DEFAULT_REGION']?.trim() || undefined;
  if (awsRegion !== undefined && !REGION.test(awsRegion)) {
    const source = regionInput !== '' ? 'the value' : 'from AWS_REGION / AWS_DEFAULT_REGION';
    throw new InputError('aws-region', `${quote(awsRegion)} (${source}) is not an AWS region such as us-east-1`);
  }
  if (!isPublic && awsRegion === undefined) {
    throw new InputError('aws-region', 'is required with registry-type private (or set AWS_REGION)');
  }

  const registryId = get('registry-id');
  if (registryId !== '' && !ACCOUNT_ID.test(registryId)) {
    throw new InputError('registry-id', `${quote(registryId)} is not a 12-digit AWS account ID`);
  }

  const roleToAssume = get('role-to-assume');
  if (roleToAssume !== '' && !ROLE_ARN.test(roleToAssume)) {
    throw new InputError('role-to-assume', `${quote(roleToAssume)} is not an IAM role ARN like arn:aws:iam::123456789012:role/name`);
  }
  const audience = get('audience') || 'sts.amazonaws.com';
  if (/\s/.test(audience)) throw new InputError('audience', `${quote(audience)} contains white space`);
  const roleSessionName = get('role-session-name') || defaultSessionName(env);
  if (!SESSION_NAME.test(roleSessionName)) {
    throw new InputError('role-session-name', `${quote(roleSessionName)} must be 2 to 64 characters of letters, digits and _+=,.@-`);
  }
  const roleDurationSeconds = parseWholeNumber('role-duration-seconds', get('role-duration-seconds'), 3600, 900, 43200, 'seconds');

  const tags = parseTemplates(get('tags'));
  const runImageMirror = parseAutoOrFalse('run-image-mirror', get('run-image-mirror'));
  const createRepositories = parseBoolean('create-repositories', get('create-repositories'), true);

  const imageTagMutability = parseChoice<TagMutability>('image-tag-mutability', get('image-tag-mutability'), ['MUTABLE', 'IMMUTABLE'], 'MUTABLE');
  if (isPublic && imageTagMutability !== 'MUTABLE') onlyFor('image-tag-mutability', 'private');
  const scanOnPush = parseBoolean('scan-on-push', get('scan-on-push'), true);
  if (isPublic && !scanOnPush) onlyFor('scan-on-push', 'private');
  const encryptionType = parseChoice<EncryptionType>('encryption-type', get('encryption-type'), ['AES256', 'KMS', 'KMS_DSSE'], 'AES256');
  if (isPublic && encryptionType !== 'AES256') onlyFor('encryption-type', 'private');
  const kmsKey = get('kms-key');
  if (kmsKey !== '' && encryptionType === 'AES256') throw new InputError('kms-key', 'needs encryption-type KMS or KMS_DSSE');
  if (/\s/.test(kmsKey)) throw new InputError('kms-key', `${quote(kmsKey)} contains white space`);

  const lifecyclePolicy = readPolicy('lifecycle-policy', get('lifecycle-policy'), env, lifecycleCheck, LIFECYCLE_POLICY_MAX);
  if (isPublic && lifecyclePolicy !== undefined) {
    throw new InputError('lifecycle-policy', 'only applies to registry-type private (ECR Public has no lifecycle policies; see public-retention)');
  }
  const repositoryPolicy = readPolicy('repository-policy', get('repository-policy'), env, repositoryPolicyCheck, REPOSITORY_POLICY_MAX);

  const catalogData = parseAutoOrFalse('catalog-data', get('catalog-data'));
  if (!isPublic && catalogData !== 'auto') onlyFor('catalog-data', 'public');
  const publicRetention = parseWholeNumber('public-retention', get('public-retention'), 0, 0, 10000, 'versions');
  if (!isPublic && publicRetention !== 0) onlyFor('public-retention', 'public');

  const scanSeverityThreshold = parseChoice('scan-severity-threshold', get('scan-severity-threshold'), THRESHOLDS, 'NONE');
  if (isPublic && scanSeverityThreshold !== 'NONE') onlyFor('scan-severity-threshold', 'private');
  const scanIgnore = parseScanIgnore(getInput('scan-ignore'));
  if (isPublic && scanIgnore.length > 0) onlyFor('scan-ignore', 'private');
  const scanTimeoutSeconds = parseWholeNumber('scan-timeout-seconds', get('scan-timeout-seconds'), 900, 1, 21600, 'seconds');
  if (isPublic && scanTimeoutSeconds !== 900) onlyFor('scan-timeout-seconds', 'private');
  const promoteTags = listItems(getInput('promote-tags'));
  for (const tag of promoteTags) {
    if (!isValidTag(tag)) throw new InputError('promote-tags', `${quote(tag)} is not a valid tag`);
  }
  if (isPublic && promoteTags.length > 0) onlyFor('promote-tags', 'private');

  const referrers = parseBoolean('referrers', get('referrers'), true);
  const dockerLogin = parseBoolean('docker-login', get('docker-login'), false);

  const sourceUsername = get('source-username');
  // Never echo the password, not even its length.
  const sourcePassword = getInput('source-password');
  if ((sourceUsername === '') !== (sourcePassword === '')) {
    throw new InputError(sourceUsername === '' ? 'source-username' : 'source-password', 'source-username and source-password must be given together');
  }

  const concurrency = parseWholeNumber('concurrency', get('concurrency'), 8, 1, 64, 'parallel transfers');
  const dryRun = parseBoolean('dry-run', get('dry-run'), false);
  const writeRateLimit = parseWriteRateLimit(get('write-rate-limit'), registryType);

  return {
    images,
    registryType,
    ...(alias !== '' ? { publicRegistryAlias: alias } : {}),
    repositoryPrefix,
    ...(awsRegion !== undefined ? { awsRegion } : {}),
    ...(registryId !== '' ? { registryId } : {}),
    ...(roleToAssume !== '' ? { roleToAssume } : {}),
    audience,
    roleSessionName,
    roleDurationSeconds,
    tags,
    runImageMirror,
    createRepositories,
    imageTagMutability,
    scanOnPush,
    encryptionType,
    ...(kmsKey !== '' ? { kmsKey } : {}),
    ...(lifecyclePolicy !== undefined ? { lifecyclePolicy } : {}),
    ...(repositoryPolicy !== undefined ? { repositoryPolicy } : {}),
    catalogData,
    publicRetention,
    scanSeverityThreshold,
    scanIgnore,
    scanTimeoutSeconds,
    promoteTags,
    referrers,
    dockerLogin,
    ...(sourceUsername !== '' ? { sourceUsername, sourcePassword } : {}),
    concurrency,
    dryRun,
    writeRateLimit,
  };
}

/** The inputs of this step, as the runner passes them. */
export function readInputsFromActions(): Inputs {
  // Masked first, so no later message or debug line can show it.
  const sourcePassword = core.getInput('source-password');
  if (sourcePassword !== '') core.setSecret(sourcePassword);
  return parseInputs((name) => core.getInput(name), process.env);
}
