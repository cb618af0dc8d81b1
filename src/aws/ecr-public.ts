/** Amazon ECR Public: check the alias, ensure repositories (and their policy) and log in; its API lives only in us-east-1. */
import {
  CreateRepositoryCommand,
  DescribeRegistriesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
  type ECRPUBLICClient,
  type Repository,
} from '@aws-sdk/client-ecr-public';
import { syncPolicy } from './policy-sync.js';
import { silentLogger, type Logger } from '../runtime.js';
import type { CatalogData } from './catalog-data.js';
import type { AwsClientConfig, AwsCredentialSource } from './credentials.js';
import { awsErrorText, EcrError, hasErrorName } from './sdk.js';
import {
  decodeAuthorizationToken,
  hostOfEndpoint,
  registryIdFromMessage,
  type EnsuredRepository,
  type RegistryLogin,
} from './ecr.js';

export const ECR_PUBLIC_REGION = 'us-east-1';

/** ECR Public clients are pinned to us-east-1; credentials omitted means the SDK default chain. */
export function publicClientConfig(credentials?: AwsCredentialSource): AwsClientConfig {
  return credentials === undefined ? { region: ECR_PUBLIC_REGION } : { region: ECR_PUBLIC_REGION, credentials };
}

export interface EnsurePublicRepositoryOptions {
  repositoryName: string;
  create: boolean;
  /** Set at creation; existing repositories get theirs through `syncCatalogData`. */
  catalogData?: CatalogData;
  /** Set when it differs from the repository's current policy. */
  repositoryPolicyText?: string;
  logger?: Logger;
}

function toEnsured(repository: Repository | undefined, repositoryName: string, created: boolean): EnsuredRepository {
  const { repositoryUri, repositoryArn, registryId } = repository ?? {};
  if (!repositoryUri || !repositoryArn || !registryId) {
    throw new EcrError(
      `ECR Public returned an incomplete description of repository "${repositoryName}" (no URI, ARN or registry id).`,
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

async function describePublicRepository(
  client: ECRPUBLICClient,
  repositoryName: string,
): Promise<{ repository: Repository | undefined; notFound?: unknown }> {
  try {
    const response = await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
    return { repository: response.repositories?.[0] };
  } catch (error) {
    if (hasErrorName(error, 'RepositoryNotFoundException')) return { repository: undefined, notFound: error };
    throw new EcrError(`Could not describe ECR Public repository "${repositoryName}": ${awsErrorText(error)}`);
  }
}

/** The repository when it exists; read only (no create, no policy), for `dry-run: verify`. */
export async function findPublicRepository(
  client: ECRPUBLICClient,
  repositoryName: string,
): Promise<EnsuredRepository | undefined> {
  const { repository } = await describePublicRepository(client, repositoryName);
  return repository === undefined ? undefined : toEnsured(repository, repositoryName, false);
}

/**
 * Fails unless `alias` is one of the caller's ECR Public registry aliases: repositoryUri carries
 * whatever alias the registry has, so a wrong input would otherwise publish under the real one.
 */
export async function checkPublicRegistryAlias(client: ECRPUBLICClient, alias: string): Promise<void> {
  const aliases: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const response = await client.send(new DescribeRegistriesCommand(nextToken === undefined ? {} : { nextToken }));
      for (const registry of response.registries ?? [])
        aliases.push(...(registry.aliases ?? []).flatMap((a) => (a.name ? [a.name] : [])));
      nextToken = response.nextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    throw new EcrError(`Could not read the ECR Public registry's aliases: ${awsErrorText(error)}`);
  }
  if (aliases.includes(alias)) return;
  const actual =
    aliases.length === 0
      ? 'it has none'
      : `its alias${aliases.length > 1 ? 'es are' : ' is'} ${aliases.map((a) => `"${a}"`).join(', ')}`;
  throw new EcrError(
    `public-registry-alias "${alias}" is not an alias of this account's ECR Public registry: ${actual}`,
  );
}

export async function ensurePublicRepository(
  client: ECRPUBLICClient,
  options: EnsurePublicRepositoryOptions,
): Promise<EnsuredRepository> {
  const ensured = await describeOrCreatePublicRepository(client, options);
  if (options.repositoryPolicyText !== undefined) {
    await syncPublicRepositoryPolicy(client, ensured, options.repositoryPolicyText, options.logger ?? silentLogger);
  }
  return ensured;
}

/** Sets the policy when the repository has none or a different one (compared as JSON, like the private path). */
async function syncPublicRepositoryPolicy(
  client: ECRPUBLICClient,
  ensured: EnsuredRepository,
  desired: string,
  logger: Logger,
): Promise<void> {
  const { repositoryName } = ensured;
  await syncPolicy({
    what: `the repository policy of ECR Public repository "${repositoryName}"`,
    desired,
    created: ensured.created,
    notFoundError: 'RepositoryPolicyNotFoundException',
    read: async () => (await client.send(new GetRepositoryPolicyCommand({ repositoryName }))).policyText,
    write: (text) => client.send(new SetRepositoryPolicyCommand({ repositoryName, policyText: text })),
    done: `Set the repository policy of ${ensured.repositoryUri}.`,
    logger,
  });
}

async function describeOrCreatePublicRepository(
  client: ECRPUBLICClient,
  options: EnsurePublicRepositoryOptions,
): Promise<EnsuredRepository> {
  const { repositoryName, create, catalogData } = options;
  const logger = options.logger ?? silentLogger;

  const described = await describePublicRepository(client, repositoryName);
  if (described.repository !== undefined) return toEnsured(described.repository, repositoryName, false);

  if (!create) {
    const registry = registryIdFromMessage(described.notFound);
    const where = registry === undefined ? 'the ECR Public registry' : `ECR Public registry ${registry}`;
    const cli = `aws ecr-public create-repository --repository-name ${repositoryName} --region ${ECR_PUBLIC_REGION}`;
    throw new EcrError(
      `Repository "${repositoryName}" does not exist in ${where} and create-repositories is false: ` +
        `create it first (${cli}) or set create-repositories: true (the role then needs ecr-public:CreateRepository)`,
    );
  }
  try {
    const response = await client.send(
      new CreateRepositoryCommand({
        repositoryName,
        ...(catalogData === undefined ? {} : { catalogData: { ...catalogData } }),
      }),
    );
    const ensured = toEnsured(response.repository, repositoryName, true);
    logger.info(`Created ECR Public repository ${ensured.repositoryUri}.`);
    return ensured;
  } catch (error) {
    if (!hasErrorName(error, 'RepositoryAlreadyExistsException')) {
      if (error instanceof EcrError) throw error;
      throw new EcrError(`Could not create ECR Public repository "${repositoryName}": ${awsErrorText(error)}`);
    }
    // Another job created it between our describe and create.
    return toEnsured((await describePublicRepository(client, repositoryName)).repository, repositoryName, false);
  }
}

export interface PublicRegistryCredentialsOptions {
  /**
   * Where the credentials are for: a repositoryUri ECR Public returned (`public.ecr.aws/alias/name`)
   * or its host. GetAuthorizationToken names no endpoint, so the caller supplies it.
   */
  registry: string;
  onSecret: (value: string) => void;
}

export async function getPublicRegistryCredentials(
  client: ECRPUBLICClient,
  options: PublicRegistryCredentialsOptions,
): Promise<RegistryLogin> {
  const registry = hostOfEndpoint(options.registry);
  if (registry.length === 0)
    throw new EcrError(
      'No ECR Public registry host to authenticate to (expected a repositoryUri such as public.ecr.aws/alias/name).',
    );
  let data;
  try {
    data = (await client.send(new GetAuthorizationTokenCommand({}))).authorizationData;
  } catch (error) {
    const hint = hasErrorName(error, 'AccessDeniedException') ? ' (the role also needs sts:GetServiceBearerToken)' : '';
    throw new EcrError(`Could not get an ECR Public authorization token: ${awsErrorText(error)}${hint}`);
  }
  if (!data?.authorizationToken) throw new EcrError('ECR Public GetAuthorizationToken returned no token.');
  const { username, password } = decodeAuthorizationToken(data.authorizationToken, 'ECR Public GetAuthorizationToken');
  options.onSecret(password);
  options.onSecret(data.authorizationToken);
  return { registry, username, password, ...(data.expiresAt === undefined ? {} : { expiresAt: data.expiresAt }) };
}
