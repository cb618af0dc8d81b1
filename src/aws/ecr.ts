/** Private Amazon ECR: ensure repositories (settings, policies) and log in; hosts always come from ECR's answers. */
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  type ECRClient,
  type EncryptionType,
  type ImageTagMutability,
  type Repository,
} from '@aws-sdk/client-ecr';
import type { RegistryCredentials } from '../oci/transport/credentials.js';
import { repositoryAccessDenied } from './access-denied.js';
import { syncPolicy } from './policy-sync.js';
import { awsErrorText, EcrError, hasErrorName } from './sdk.js';
import { silentLogger, type Logger } from '../runtime.js';

/** ECR's "does not exist" message names the registry; use it when the caller gave none. */
export function registryIdFromMessage(error: unknown): string | undefined {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return undefined;
  return /registry with id '(\d{12})'/.exec(message)?.[1];
}

export interface PrivateRepositorySettings {
  imageTagMutability: ImageTagMutability;
  /** WILDCARD filters, only with the *_WITH_EXCLUSION settings. */
  imageTagMutabilityExclusions?: string[];
  scanOnPush: boolean;
  encryptionType: EncryptionType;
  kmsKey?: string;
  lifecyclePolicyText?: string;
  repositoryPolicyText?: string;
}

export interface EnsurePrivateRepositoryOptions {
  repositoryName: string;
  registryId?: string;
  create: boolean;
  settings: PrivateRepositorySettings;
  logger?: Logger;
}

export interface EnsuredRepository {
  repositoryName: string;
  /** The destination, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/buildpacks/builder`. */
  repositoryUri: string;
  repositoryArn: string;
  registryId: string;
  created: boolean;
}

export interface EnsuredPrivateRepository extends EnsuredRepository {
  lifecyclePolicyChanged: boolean;
  repositoryPolicyChanged: boolean;
}

function toEnsured(repository: Repository | undefined, repositoryName: string, created: boolean): EnsuredRepository {
  const { repositoryUri, repositoryArn, registryId } = repository ?? {};
  if (!repositoryUri || !repositoryArn || !registryId) {
    throw new EcrError(
      `ECR returned an incomplete description of repository "${repositoryName}" (no URI, ARN or registry id).`,
    );
  }
  return {
    repositoryName: repository?.repositoryName ?? repositoryName,
    repositoryUri,
    repositoryArn,
    registryId,
    created,
  };
}

/** `repository` is undefined when ECR says it does not exist; `notFound` is that error. */
async function describePrivateRepository(
  client: ECRClient,
  repositoryName: string,
  registryId: string | undefined,
): Promise<{ repository: Repository | undefined; notFound?: unknown }> {
  try {
    const response = await client.send(
      new DescribeRepositoriesCommand({
        repositoryNames: [repositoryName],
        ...(registryId === undefined ? {} : { registryId }),
      }),
    );
    return { repository: response.repositories?.[0] };
  } catch (error) {
    if (hasErrorName(error, 'RepositoryNotFoundException')) return { repository: undefined, notFound: error };
    const what = `Could not describe ECR repository "${repositoryName}"`;
    const region = await client.config.region();
    throw new EcrError(
      repositoryAccessDenied(error, what, { registryId, region }) ?? `${what}: ${awsErrorText(error)}`,
    );
  }
}

/** The repository as ECR describes it (URI, tag mutability), or undefined when it does not exist; never creates. */
export async function describeExistingRepository(
  client: ECRClient,
  repositoryName: string,
  registryId: string | undefined,
): Promise<Repository | undefined> {
  return (await describePrivateRepository(client, repositoryName, registryId)).repository;
}

/** The repository when it exists; read only (no create, no policy), for `dry-run: verify`. */
export async function findPrivateRepository(
  client: ECRClient,
  repositoryName: string,
  registryId?: string,
): Promise<EnsuredRepository | undefined> {
  const repository = await describeExistingRepository(client, repositoryName, registryId);
  return repository === undefined ? undefined : toEnsured(repository, repositoryName, false);
}

/**
 * Describes the repository, creating it with the settings when missing and allowed.
 * Tag mutability (with its exclusions), scan-on-push and encryption apply to created repositories only (encryption cannot
 * change later). Lifecycle and repository policies are applied to existing repositories too, and only
 * written when the current policy differs as JSON, so the inputs stay the source of truth.
 */
export async function ensurePrivateRepository(
  client: ECRClient,
  options: EnsurePrivateRepositoryOptions,
): Promise<EnsuredPrivateRepository> {
  const { repositoryName, registryId, settings } = options;
  const logger = options.logger ?? silentLogger;
  const described = await describePrivateRepository(client, repositoryName, registryId);
  const { repository, created } =
    described.repository !== undefined
      ? { repository: described.repository, created: false }
      : await createPrivateRepository(client, options, described.notFound);

  const ensured = toEnsured(repository, repositoryName, created);
  const target = { repositoryName, registryId: ensured.registryId };

  const policy = { created, logger };
  const lifecycle = settings.lifecyclePolicyText;
  const lifecyclePolicyChanged =
    lifecycle !== undefined &&
    (await syncPolicy({
      ...policy,
      what: `the lifecycle policy of ECR repository "${repositoryName}"`,
      desired: lifecycle,
      notFoundError: 'LifecyclePolicyNotFoundException',
      read: async () => (await client.send(new GetLifecyclePolicyCommand(target))).lifecyclePolicyText,
      write: (text) => client.send(new PutLifecyclePolicyCommand({ ...target, lifecyclePolicyText: text })),
      done: `Set the lifecycle policy of ${ensured.repositoryUri}.`,
    }));
  const access = settings.repositoryPolicyText;
  const repositoryPolicyChanged =
    access !== undefined &&
    (await syncPolicy({
      ...policy,
      what: `the repository policy of ECR repository "${repositoryName}"`,
      desired: access,
      notFoundError: 'RepositoryPolicyNotFoundException',
      read: async () => (await client.send(new GetRepositoryPolicyCommand(target))).policyText,
      write: (text) => client.send(new SetRepositoryPolicyCommand({ ...target, policyText: text })),
      done: `Set the repository policy of ${ensured.repositoryUri}.`,
    }));
  return { ...ensured, lifecyclePolicyChanged, repositoryPolicyChanged };
}

/** Credentials together with the registry they are for (and, from ECR, when they expire). */
export interface RegistryLogin extends RegistryCredentials {
  /** Host (and port), no scheme, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  registry: string;
  expiresAt?: Date;
}

export interface PrivateRegistryLogin extends RegistryLogin {
  /** As ECR returned it, scheme included (an emulator may answer `http://…`). */
  proxyEndpoint: string;
}

/** Splits a base64 `user:password` token; the error never contains the token. */
export function decodeAuthorizationToken(token: string, what: string): RegistryCredentials {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new EcrError(`${what} returned an authorization token that is not base64 "user:password".`);
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function hostOfEndpoint(endpoint: string): string {
  return endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
}

export async function getPrivateRegistryCredentials(
  client: ECRClient,
  options: { registryId?: string; onSecret: (value: string) => void },
): Promise<PrivateRegistryLogin> {
  const { registryId, onSecret } = options;
  let data;
  try {
    const response = await client.send(
      new GetAuthorizationTokenCommand(registryId === undefined ? {} : { registryIds: [registryId] }),
    );
    data = response.authorizationData?.[0];
  } catch (error) {
    // Registry-level: no repository policy can grant it, only the role's own policy.
    const hint = hasErrorName(error, 'AccessDeniedException')
      ? ". The role's policy must allow ecr:GetAuthorizationToken on * (see IAM in the README)."
      : '';
    throw new EcrError(
      `Could not get an ECR authorization token${registryId === undefined ? '' : ` for registry ${registryId}`}: ${awsErrorText(error)}${hint}`,
    );
  }
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new EcrError('ECR GetAuthorizationToken returned no token or no proxy endpoint.');
  }
  const { username, password } = decodeAuthorizationToken(data.authorizationToken, 'ECR GetAuthorizationToken');
  onSecret(password);
  onSecret(data.authorizationToken);
  return {
    registry: hostOfEndpoint(data.proxyEndpoint),
    proxyEndpoint: data.proxyEndpoint,
    username,
    password,
    ...(data.expiresAt === undefined ? {} : { expiresAt: data.expiresAt }),
  };
}

/** Creates the missing repository with the settings, or says how to when create-repositories is false. */
async function createPrivateRepository(
  client: ECRClient,
  options: EnsurePrivateRepositoryOptions,
  notFound: unknown,
): Promise<{ repository: Repository | undefined; created: boolean }> {
  const { repositoryName, registryId, create, settings } = options;
  const logger = options.logger ?? silentLogger;
  const registryField = registryId === undefined ? {} : { registryId };
  if (!create) {
    const registry = registryId ?? registryIdFromMessage(notFound);
    const where = registry === undefined ? "the caller's registry" : `registry ${registry}`;
    const cli =
      `aws ecr create-repository --repository-name ${repositoryName} --region ${await client.config.region()}` +
      (registryId === undefined ? '' : ` --registry-id ${registryId}`);
    throw new EcrError(
      `Repository "${repositoryName}" does not exist in ${where} and create-repositories is false: ` +
        `create it first (${cli}) or set create-repositories: true (the role then needs ecr:CreateRepository)`,
    );
  }
  try {
    const response = await client.send(
      new CreateRepositoryCommand({
        repositoryName,
        ...registryField,
        imageTagMutability: settings.imageTagMutability,
        ...(settings.imageTagMutabilityExclusions?.length
          ? {
              imageTagMutabilityExclusionFilters: settings.imageTagMutabilityExclusions.map((filter) => ({
                filterType: 'WILDCARD' as const,
                filter,
              })),
            }
          : {}),
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
        encryptionConfiguration: {
          encryptionType: settings.encryptionType,
          ...(settings.kmsKey === undefined ? {} : { kmsKey: settings.kmsKey }),
        },
      }),
    );
    logger.info(`Created ECR repository ${response.repository?.repositoryUri ?? repositoryName}.`);
    return { repository: response.repository, created: true };
  } catch (error) {
    if (!hasErrorName(error, 'RepositoryAlreadyExistsException')) {
      throw new EcrError(`Could not create ECR repository "${repositoryName}": ${awsErrorText(error)}`);
    }
    // Another job created it between our describe and create.
    return {
      repository: (await describePrivateRepository(client, repositoryName, registryId)).repository,
      created: false,
    };
  }
}
