/** The inputs that shape the repositories the run creates or updates: tag mutability, scanning, encryption, policies. */
import type { EncryptionType, TagMutability } from '../inputs.js';
import {
  InputError,
  lifecycleCheck,
  listItems,
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

type Get = (name: string) => string;
type Env = Record<string, string | undefined>;

const onlyFor = (name: string, type: 'public' | 'private'): never => {
  throw new InputError(name, `only applies to registry-type ${type}`);
};

/** image-tag-mutability and its exclusion filters, which only the *_WITH_EXCLUSION settings take. */
function mutabilityInputs(get: Get, getInput: Get, isPublic: boolean) {
  const imageTagMutability = parseChoice(
    'image-tag-mutability',
    get('image-tag-mutability'),
    TAG_MUTABILITIES,
    'MUTABLE',
  );
  if (isPublic && imageTagMutability !== 'MUTABLE') onlyFor('image-tag-mutability', 'private');
  const imageTagMutabilityExclusions = listItems(getInput('image-tag-mutability-exclusions'));
  const withExclusions = imageTagMutability.endsWith('_WITH_EXCLUSION');
  if (imageTagMutabilityExclusions.length > 0 && !withExclusions) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `only applies with image-tag-mutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (not ${imageTagMutability})`,
    );
  }
  if (withExclusions && imageTagMutabilityExclusions.length === 0) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `is required with image-tag-mutability ${imageTagMutability}: give 1 to ${MAX_EXCLUSION_FILTERS} tag filters such as latest or *.*-stable`,
    );
  }
  if (imageTagMutabilityExclusions.length > MAX_EXCLUSION_FILTERS) {
    throw new InputError(
      'image-tag-mutability-exclusions',
      `has ${imageTagMutabilityExclusions.length} filters; ECR takes at most ${MAX_EXCLUSION_FILTERS}`,
    );
  }
  for (const filter of imageTagMutabilityExclusions) {
    if (!EXCLUSION_FILTER.test(filter)) {
      throw new InputError(
        'image-tag-mutability-exclusions',
        `${quote(filter)} is not a tag filter: 1 to 128 letters, digits, . _ - and the wildcard *`,
      );
    }
  }
  return { imageTagMutability, imageTagMutabilityExclusions };
}

/** What the run sets on the repositories it ensures, per registry type. */
export function repositoryInputs(get: Get, getInput: Get, env: Env, isPublic: boolean) {
  const { imageTagMutability, imageTagMutabilityExclusions } = mutabilityInputs(get, getInput, isPublic);
  const scanOnPush = parseBoolean('scan-on-push', get('scan-on-push'), true);
  if (isPublic && !scanOnPush) onlyFor('scan-on-push', 'private');
  const encryptionType = parseChoice<EncryptionType>(
    'encryption-type',
    get('encryption-type'),
    ['AES256', 'KMS', 'KMS_DSSE'],
    'AES256',
  );
  if (isPublic && encryptionType !== 'AES256') onlyFor('encryption-type', 'private');
  const kmsKey = get('kms-key');
  if (kmsKey !== '' && encryptionType === 'AES256')
    throw new InputError('kms-key', 'needs encryption-type KMS or KMS_DSSE');
  if (/\s/.test(kmsKey)) throw new InputError('kms-key', `${quote(kmsKey)} contains white space`);

  const lifecyclePolicy = readPolicy(
    'lifecycle-policy',
    get('lifecycle-policy'),
    env,
    lifecycleCheck,
    LIFECYCLE_POLICY_MAX,
  );
  if (isPublic && lifecyclePolicy !== undefined) {
    throw new InputError(
      'lifecycle-policy',
      'only applies to registry-type private (ECR Public has no lifecycle policies; see public-retention)',
    );
  }
  // Both registry types: ECR Public repositories take a repository policy too.
  const repositoryPolicy = readPolicy(
    'repository-policy',
    get('repository-policy'),
    env,
    repositoryPolicyCheck,
    REPOSITORY_POLICY_MAX,
  );

  const catalogData = parseAutoOrFalse('catalog-data', get('catalog-data'));
  if (!isPublic && catalogData !== 'auto') onlyFor('catalog-data', 'public');
  const publicRetention = parseWholeNumber('public-retention', get('public-retention'), 0, 0, 10000, 'versions');
  if (!isPublic && publicRetention !== 0) onlyFor('public-retention', 'public');
  return {
    imageTagMutability,
    imageTagMutabilityExclusions,
    scanOnPush,
    encryptionType,
    ...(kmsKey !== '' ? { kmsKey } : {}),
    ...(lifecyclePolicy !== undefined ? { lifecyclePolicy } : {}),
    ...(repositoryPolicy !== undefined ? { repositoryPolicy } : {}),
    catalogData,
    publicRetention,
  };
}
