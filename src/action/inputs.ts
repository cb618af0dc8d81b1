/** Every action input, read once and validated before anything is contacted. */
// Bad input throws an `InputError` whose message is one line naming the input and what is wrong.
//
// An input that would have no effect in this run (one registry type's setting with the other,
// a role setting without role-to-assume, a gate setting without a gate, source-registry without
// a source login) is an error when set to anything but its default: a silently ignored setting is
// worse than a failed run. Values equal to the default are accepted, so the defaults in action.yml
// never trip this.
import * as core from '@actions/core';
import { isValidTag, parseReference, type Reference } from '../oci/reference.js';
import {
  destinationNameProblem,
  destinationRepository,
  LIFECYCLE_REPOSITORY,
  repositoryPrefixProblem,
} from '../plan/naming.js';
import { destinationConflict, type RegistryType } from '../plan/plan.js';
import { parseTagTemplate, type TagTemplate } from '../plan/tags.js';
import { SEVERITIES, type DryRunMode, type ImageInput, type Inputs, type SeverityThreshold } from '../inputs.js';
import { roleInputs, sourceInputs, sourceSecrets } from './credential-inputs.js';
import {
  InputError,
  listItems,
  meaningfulLines,
  parseBoolean,
  parseChoice,
  parseScanIgnore,
  parseWholeNumber,
  parseWriteRateLimit,
  quote,
} from './input-parsers.js';
import { releaseInputs } from './release-inputs.js';
import { repositoryInputs } from './repository-inputs.js';

export { InputError, parseScanIgnore, PUBLIC_WRITE_RATE_LIMIT } from './input-parsers.js';
export { DEFAULT_SOURCE_REGISTRY, sourceSecrets } from './credential-inputs.js';
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

export const DEFAULT_TAG_TEMPLATES = ['{{tag}}', 'latest'];

const THRESHOLDS: readonly SeverityThreshold[] = ['NONE', ...SEVERITIES];
const REGION = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const PUBLIC_ALIAS = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DEFAULT_SCAN_TIMEOUT = 900;

type Get = (name: string) => string;
type Env = Record<string, string | undefined>;

const onlyFor = (name: string, type: RegistryType): never => {
  throw new InputError(name, `only applies to registry-type ${type}`);
};

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
    if (renameText !== undefined && renameText === '')
      throw new InputError('images', `${where}: a name is missing after "=>"`);
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

/** registry-type, repository-prefix, images, public-registry-alias, aws-region, registry-id. */
function destinationInputs(get: Get, getInput: Get, env: Env) {
  const registryTypeInput = get('registry-type');
  const registryTypeText = registryTypeInput.toLowerCase() || 'public';
  if (registryTypeText !== 'public' && registryTypeText !== 'private') {
    throw new InputError('registry-type', `${quote(registryTypeInput)} is not public or private`);
  }
  const registryType: RegistryType = registryTypeText;
  const isPublic = registryType === 'public';

  const repositoryPrefix = get('repository-prefix');
  const prefixProblem = repositoryPrefixProblem(repositoryPrefix);
  if (prefixProblem !== undefined) throw new InputError('repository-prefix', prefixProblem);

  const images = parseImages(getInput('images'), repositoryPrefix);

  const alias = get('public-registry-alias');
  if (isPublic && alias === '') throw new InputError('public-registry-alias', 'is required with registry-type public');
  if (!isPublic && alias !== '') onlyFor('public-registry-alias', 'public');
  if (alias !== '' && (alias.length < 2 || alias.length > 50 || !PUBLIC_ALIAS.test(alias))) {
    throw new InputError(
      'public-registry-alias',
      `${quote(alias)} is not an ECR Public alias (2 to 50 lowercase letters, digits, and . _ - between them)`,
    );
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
  // ECR Public is always the caller's own registry.
  if (isPublic && registryId !== '') onlyFor('registry-id', 'private');

  return {
    images,
    registryType,
    ...(alias !== '' ? { publicRegistryAlias: alias } : {}),
    repositoryPrefix,
    ...(awsRegion !== undefined ? { awsRegion } : {}),
    ...(registryId !== '' ? { registryId } : {}),
  };
}

function parseRunImageMirror(value: string): 'auto' | 'primary' | false {
  const lower = value.toLowerCase();
  // `true` reads as the default behaviour, which is what people mean by it.
  if (lower === '' || lower === 'auto' || lower === 'true') return 'auto';
  if (lower === 'primary') return 'primary';
  if (lower === 'false') return false;
  throw new InputError('run-image-mirror', `${quote(value)} is not allowed; use auto, primary or false`);
}

/** A source repository without tag or digest: each builder's lifecycle version is the tag. */
function parseLifecycleImage(value: string): Reference | undefined {
  if (value === '') return undefined;
  let ref: Reference;
  try {
    ref = parseReference(value);
  } catch (error) {
    throw new InputError('lifecycle-image', (error as Error).message);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InputError(
      'lifecycle-image',
      `${quote(value)} names a tag or digest; give the repository only (each builder's lifecycle version is the tag)`,
    );
  }
  return ref;
}

function parseDryRun(value: string): DryRunMode | false {
  const lower = value.toLowerCase();
  if (lower === '' || lower === 'false') return false;
  if (lower === 'true') return 'plan';
  if (lower === 'verify') return 'verify';
  throw new InputError('dry-run', `${quote(value)} is not allowed; use true, false or verify`);
}

/** The scan gate and promotion (private only); ignore entries and the timeout need a threshold. */
function gateInputs(get: Get, getInput: Get, isPublic: boolean) {
  const scanSeverityThreshold = parseChoice(
    'scan-severity-threshold',
    get('scan-severity-threshold'),
    THRESHOLDS,
    'NONE',
  );
  if (isPublic && scanSeverityThreshold !== 'NONE') onlyFor('scan-severity-threshold', 'private');
  const noGate = (name: string): never => {
    throw new InputError(name, 'has no effect with scan-severity-threshold NONE (no scan gate)');
  };
  const scanIgnore = parseScanIgnore(getInput('scan-ignore'));
  if (isPublic && scanIgnore.length > 0) onlyFor('scan-ignore', 'private');
  if (scanIgnore.length > 0 && scanSeverityThreshold === 'NONE') noGate('scan-ignore');
  const scanTimeoutSeconds = parseWholeNumber(
    'scan-timeout-seconds',
    get('scan-timeout-seconds'),
    DEFAULT_SCAN_TIMEOUT,
    1,
    21600,
    'seconds',
  );
  if (isPublic && scanTimeoutSeconds !== DEFAULT_SCAN_TIMEOUT) onlyFor('scan-timeout-seconds', 'private');
  if (scanTimeoutSeconds !== DEFAULT_SCAN_TIMEOUT && scanSeverityThreshold === 'NONE') noGate('scan-timeout-seconds');
  const promoteTags = listItems(getInput('promote-tags'));
  for (const tag of promoteTags) {
    if (!isValidTag(tag)) throw new InputError('promote-tags', `${quote(tag)} is not a valid tag`);
  }
  if (isPublic && promoteTags.length > 0) onlyFor('promote-tags', 'private');
  return { scanSeverityThreshold, scanIgnore, scanTimeoutSeconds, promoteTags };
}

/** Reads and validates every input, in the order of action.yml. Touches nothing but policy files. */
export function parseInputs(getInput: Get, env: Env): Inputs {
  const get = (name: string): string => getInput(name).trim();
  const destination = destinationInputs(get, getInput, env);
  const isPublic = destination.registryType === 'public';
  const role = roleInputs(get, env);
  const tags = parseTemplates(get('tags'));
  const runImageMirror = parseRunImageMirror(get('run-image-mirror'));
  const lifecycleImage = parseLifecycleImage(get('lifecycle-image'));
  const lifecycleConflict =
    lifecycleImage &&
    destinationConflict(
      [...destination.images, { source: lifecycleImage, rename: LIFECYCLE_REPOSITORY }],
      destination.repositoryPrefix,
    );
  if (lifecycleConflict) throw new InputError('lifecycle-image', lifecycleConflict);
  const createRepositories = parseBoolean('create-repositories', get('create-repositories'), true);
  const repository = repositoryInputs(get, getInput, env, isPublic);
  const gate = gateInputs(get, getInput, isPublic);
  const referrers = parseBoolean('referrers', get('referrers'), true);
  const dockerLogin = parseBoolean('docker-login', get('docker-login'), false);
  const source = sourceInputs(get, getInput);
  const concurrency = parseWholeNumber('concurrency', get('concurrency'), 8, 1, 64, 'parallel transfers');
  const dryRun = parseDryRun(get('dry-run'));
  const writeRateLimit = parseWriteRateLimit(get('write-rate-limit'), destination.registryType);
  const release = releaseInputs(get);
  return {
    ...destination,
    ...role,
    tags,
    runImageMirror,
    ...(lifecycleImage !== undefined ? { lifecycleImage } : {}),
    createRepositories,
    ...repository,
    ...gate,
    referrers,
    dockerLogin,
    ...source,
    concurrency,
    dryRun,
    writeRateLimit,
    ...release,
  };
}

/** The inputs of this step, as the runner passes them. */
export function readInputsFromActions(): Inputs {
  // Masked first, so no later message or debug line can show it.
  for (const secret of sourceSecrets(core.getInput('source-username'), core.getInput('source-password')))
    core.setSecret(secret);
  const githubToken = core.getInput('github-token').trim();
  if (githubToken !== '') core.setSecret(githubToken);
  return parseInputs((name) => core.getInput(name), process.env);
}
