/** Every action input, read once and validated before anything is contacted. */
// Bad input throws an `InputError` whose message is one line naming the input and what is wrong.
//
// An input that would have no effect in this run (one registry type's setting with the other,
// a role setting without role-to-assume, a gate setting without a gate, source-registry without
// a source login) is an error when set to anything but its default: a silently ignored setting is
// worse than a failed run. Values equal to the default are accepted, so the defaults in action.yml
// never trip this.
import * as core from '@actions/core';
import { parseReference, type Reference } from '../oci/reference.js';
import {
  destinationNameProblem,
  destinationRepository,
  LIFECYCLE_REPOSITORY,
  repositoryPrefixProblem,
} from '../plan/naming.js';
import { destinationConflict, type RegistryType } from '../plan/plan.js';
import { parseTagTemplate, type TagTemplate } from '../plan/tags.js';
import type { ImageInput, Inputs } from '../inputs.js';
import { roleInputs, sourceInputs, sourceSecrets } from './credential-inputs.js';
import {
  type Env,
  type Get,
  InputError,
  InputProblems,
  listItems,
  meaningfulLines,
  onlyFor,
  parseBoolean,
  parseDryRun,
  parseLifecycleImage,
  parseRunImageMirror,
  parseWholeNumber,
  parseWriteRateLimit,
  quote,
} from './input-parsers.js';
import { gateInputs, stagedReleaseChecks } from './gate-inputs.js';
import { releaseInputs } from './release-inputs.js';
import { repositoryInputs } from './repository-inputs.js';

export { InputError, InputErrors, parseScanIgnore, PUBLIC_WRITE_RATE_LIMIT } from './input-parsers.js';
export { DEFAULT_SOURCE_REGISTRY, sourceSecrets } from './credential-inputs.js';
export { DEFAULT_STAGING_PREFIX } from './gate-inputs.js';
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

const REGION = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const PUBLIC_ALIAS = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

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
function destinationInputs(get: Get, getInput: Get, env: Env, p: InputProblems) {
  const registryType = p.take((): RegistryType => {
    const value = get('registry-type');
    const lower = value.toLowerCase() || 'public';
    if (lower !== 'public' && lower !== 'private')
      throw new InputError('registry-type', `${quote(value)} is not public or private`);
    return lower;
  }, 'public');
  // Unknown when registry-type is wrong: the checks that depend on it are skipped.
  const isPublic = p.failed('registry-type') ? undefined : registryType === 'public';

  const repositoryPrefix = p.take(() => {
    const prefix = get('repository-prefix');
    const problem = repositoryPrefixProblem(prefix);
    if (problem !== undefined) throw new InputError('repository-prefix', problem);
    return prefix;
  }, '');
  const images = p.take(() => parseImages(getInput('images'), repositoryPrefix), []);

  const alias = p.take(() => {
    const value = get('public-registry-alias');
    if (isPublic === true && value === '')
      throw new InputError('public-registry-alias', 'is required with registry-type public');
    if (isPublic === false && value !== '') onlyFor('public-registry-alias', 'public');
    if (value !== '' && (value.length < 2 || value.length > 50 || !PUBLIC_ALIAS.test(value))) {
      throw new InputError(
        'public-registry-alias',
        `${quote(value)} is not an ECR Public alias (2 to 50 lowercase letters, digits, and . _ - between them)`,
      );
    }
    return value;
  }, '');

  const awsRegion = p.take(() => {
    const input = get('aws-region');
    const region = input || env['AWS_REGION']?.trim() || env['AWS_DEFAULT_REGION']?.trim() || undefined;
    if (region !== undefined && !REGION.test(region)) {
      const source = input !== '' ? 'the value' : 'from AWS_REGION / AWS_DEFAULT_REGION';
      throw new InputError('aws-region', `${quote(region)} (${source}) is not an AWS region such as us-east-1`);
    }
    if (isPublic === false && region === undefined)
      throw new InputError('aws-region', 'is required with registry-type private (or set AWS_REGION)');
    return region;
  }, undefined);

  const registryId = p.take(() => {
    const value = get('registry-id');
    if (value !== '' && !ACCOUNT_ID.test(value))
      throw new InputError('registry-id', `${quote(value)} is not a 12-digit AWS account ID`);
    // ECR Public is always the caller's own registry.
    if (isPublic === true && value !== '') onlyFor('registry-id', 'private');
    return value;
  }, '');

  return {
    images,
    registryType,
    ...(alias !== '' ? { publicRegistryAlias: alias } : {}),
    repositoryPrefix,
    ...(awsRegion !== undefined ? { awsRegion } : {}),
    ...(registryId !== '' ? { registryId } : {}),
  };
}

/**
 * Reads and validates every input, in the order of action.yml. Touches nothing but policy files. Every wrong
 * input is reported: one InputError, or InputErrors for several.
 */
export function parseInputs(getInput: Get, env: Env): Inputs {
  const get = (name: string): string => getInput(name).trim();
  const p = new InputProblems();
  const destination = destinationInputs(get, getInput, env, p);
  const isPublic = p.failed('registry-type') ? undefined : destination.registryType === 'public';
  const role = roleInputs(get, env, p);
  const tags = p.take(() => parseTemplates(get('tags')), []);
  const runImageMirror = p.take(() => parseRunImageMirror(get('run-image-mirror')), 'auto');
  const lifecycleImage = p.take(() => {
    const ref = parseLifecycleImage(get('lifecycle-image'));
    const conflict =
      ref &&
      destinationConflict(
        [...destination.images, { source: ref, rename: LIFECYCLE_REPOSITORY }],
        destination.repositoryPrefix,
      );
    if (conflict) throw new InputError('lifecycle-image', conflict);
    return ref;
  }, undefined);
  const createRepositories = p.take(() => parseBoolean('create-repositories', get('create-repositories'), true), true);
  const repository = repositoryInputs(get, getInput, env, isPublic, p);
  const gate = gateInputs(get, getInput, isPublic, p);
  stagedReleaseChecks(destination, repository, gate, isPublic, p);
  const referrers = p.take(() => parseBoolean('referrers', get('referrers'), true), true);
  const dockerLogin = p.take(() => parseBoolean('docker-login', get('docker-login'), false), false);
  const source = sourceInputs(get, getInput, p);
  const concurrency = p.take(
    () => parseWholeNumber('concurrency', get('concurrency'), 8, 1, 64, 'parallel transfers'),
    8,
  );
  const dryRun = p.take(() => parseDryRun(get('dry-run')), false);
  const writeRateLimit = p.take(() => parseWriteRateLimit(get('write-rate-limit'), destination.registryType), 0);
  const release = releaseInputs(get, p);
  p.throwIfAny();
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
