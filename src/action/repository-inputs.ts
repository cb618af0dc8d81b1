/** The inputs that shape the repositories the run creates or updates: tag mutability, scanning, encryption, policies. */
import type { EncryptionType, TagMutability } from '../inputs.js';
import {
  type Env,
  type Get,
  InputError,
  InputProblems,
  lifecycleCheck,
  listItems,
  onlyFor,
  parseAutoOrFalse,
  parseBoolean,
  parseChoice,
  parseWholeNumber,
  quote,
  readPolicy,
  repositoryPolicyCheck,
} from './input-parsers.js';

const LIFECYCLE_POLICY_MAX = 30720;
const REPOSITORY_POLICY_MAX = 10240;
const TAG_MUTABILITIES: readonly TagMutability[] = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
];
// ECR's ImageTagMutabilityExclusionFilter: WILDCARD filters of tag characters and `*`, at most 5.
const EXCLUSION_FILTER = /^[0-9a-zA-Z._*-]{1,128}$/;
const MAX_EXCLUSION_FILTERS = 5;
const ENCRYPTION_TYPES: readonly EncryptionType[] = ['AES256', 'KMS', 'KMS_DSSE'];

/** image-tag-mutability and its exclusion filters, which only the *_WITH_EXCLUSION settings take. */
function mutabilityInputs(get: Get, getInput: Get, isPublic: boolean | undefined, p: InputProblems) {
  const imageTagMutability = p.take(() => {
    const value = parseChoice('image-tag-mutability', get('image-tag-mutability'), TAG_MUTABILITIES, 'MUTABLE');
    if (isPublic === true && value !== 'MUTABLE') onlyFor('image-tag-mutability', 'private');
    return value;
  }, 'MUTABLE');
  const imageTagMutabilityExclusions = p.take(() => {
    const filters = listItems(getInput('image-tag-mutability-exclusions'));
    // Whether filters belong is unknown when the mutability itself is wrong.
    if (!p.failed('image-tag-mutability')) exclusionsFit(imageTagMutability, filters);
    for (const filter of filters) {
      if (!EXCLUSION_FILTER.test(filter)) {
        throw new InputError(
          'image-tag-mutability-exclusions',
          `${quote(filter)} is not a tag filter: 1 to 128 letters, digits, . _ - and the wildcard *`,
        );
      }
    }
    return filters;
  }, []);
  return { imageTagMutability, imageTagMutabilityExclusions };
}

function exclusionsFit(mutability: TagMutability, filters: string[]): void {
  const withExclusions = mutability.endsWith('_WITH_EXCLUSION');
  if (filters.length > 0 && !withExclusions) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `only applies with image-tag-mutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (not ${mutability})`,
    );
  }
  if (withExclusions && filters.length === 0) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `is required with image-tag-mutability ${mutability}: give 1 to ${MAX_EXCLUSION_FILTERS} tag filters such as latest or *.*-stable`,
    );
  }
  if (filters.length > MAX_EXCLUSION_FILTERS) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `has ${filters.length} filters; ECR takes at most ${MAX_EXCLUSION_FILTERS}`,
    );
  }
}

/**
 * What the run sets on the repositories it ensures, per registry type; isPublic is undefined when unknown.
 * Whether lifecycle-policy fits a public run depends on the gate (a staged release): inputs.ts checks it.
 */
export function repositoryInputs(get: Get, getInput: Get, env: Env, isPublic: boolean | undefined, p: InputProblems) {
  const mutability = mutabilityInputs(get, getInput, isPublic, p);
  const scanOnPush = p.take(() => {
    const value = parseBoolean('scan-on-push', get('scan-on-push'), true);
    if (isPublic === true && !value) onlyFor('scan-on-push', 'private');
    return value;
  }, true);
  const encryptionType = p.take(() => {
    const value = parseChoice<EncryptionType>('encryption-type', get('encryption-type'), ENCRYPTION_TYPES, 'AES256');
    if (isPublic === true && value !== 'AES256') onlyFor('encryption-type', 'private');
    return value;
  }, 'AES256');
  const kmsKey = p.take(() => {
    const key = get('kms-key');
    if (key !== '' && encryptionType === 'AES256' && !p.failed('encryption-type'))
      throw new InputError('kms-key', 'needs encryption-type KMS or KMS_DSSE');
    if (/\s/.test(key)) throw new InputError('kms-key', `${quote(key)} contains white space`);
    return key;
  }, '');
  const lifecyclePolicy = p.take(
    () => readPolicy('lifecycle-policy', get('lifecycle-policy'), env, lifecycleCheck, LIFECYCLE_POLICY_MAX),
    undefined,
  );
  // Both registry types: ECR Public repositories take a repository policy too.
  const repositoryPolicy = p.take(
    () => readPolicy('repository-policy', get('repository-policy'), env, repositoryPolicyCheck, REPOSITORY_POLICY_MAX),
    undefined,
  );
  const catalogData = p.take(() => {
    const value = parseAutoOrFalse('catalog-data', get('catalog-data'));
    if (isPublic === false && value !== 'auto') onlyFor('catalog-data', 'public');
    return value;
  }, 'auto');
  const publicRetention = p.take(() => {
    const keep = parseWholeNumber('public-retention', get('public-retention'), 0, 0, 10000, 'versions');
    if (isPublic === false && keep !== 0) onlyFor('public-retention', 'public');
    return keep;
  }, 0);
  return {
    ...mutability,
    scanOnPush,
    encryptionType,
    ...(kmsKey !== '' ? { kmsKey } : {}),
    ...(lifecyclePolicy !== undefined ? { lifecyclePolicy } : {}),
    ...(repositoryPolicy !== undefined ? { repositoryPolicy } : {}),
    catalogData,
    publicRetention,
  };
}
