import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateRepositoryCommand,
  DescribeRegistriesCommand,
  DescribeRepositoriesCommand,
  ECRPUBLICClient,
  ECRPUBLICServiceException,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr-public';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkPublicRegistryAlias,
  ensurePublicRepository,
  getPublicRegistryCredentials,
  publicClientConfig,
} from '../../src/aws/ecr-public.js';
import type { CatalogData } from '../../src/aws/catalog-data.js';

const ACCOUNT = '123456789012';
const NAME = 'builder-jammy-base';
const REPOSITORY = {
  repositoryName: NAME,
  repositoryUri: `public.ecr.aws/paketo-buildpacks/${NAME}`,
  repositoryArn: `arn:aws:ecr-public::${ACCOUNT}:repository/${NAME}`,
  registryId: ACCOUNT,
};

function publicError(name: string, message: string, status = 400): ECRPUBLICServiceException {
  return new ECRPUBLICServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const notFound = publicError(
  'RepositoryNotFoundException',
  `The repository with name '${NAME}' does not exist in the registry with id '${ACCOUNT}'`,
);

const CATALOG: CatalogData = {
  description: 'A builder',
  aboutText: '# builder',
  usageText: 'docker pull x',
  architectures: ['x86-64', 'ARM 64'],
  operatingSystems: ['Linux'],
};

const ecrPublic = mockClient(ECRPUBLICClient);
const client = new ECRPUBLICClient(publicClientConfig());

beforeEach(() => {
  ecrPublic.reset();
});

describe('publicClientConfig', () => {
  it('pins us-east-1 and passes credentials only when given', () => {
    expect(publicClientConfig()).toEqual({ region: 'us-east-1' });
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' };
    expect(publicClientConfig(credentials)).toEqual({ region: 'us-east-1', credentials });
  });
});

describe('ensurePublicRepository', () => {
  it('returns the existing repository and its URI as ECR Public describes it', async () => {
    ecrPublic.on(DescribeRepositoriesCommand, { repositoryNames: [NAME] }).resolves({ repositories: [REPOSITORY] });
    await expect(
      ensurePublicRepository(client, { repositoryName: NAME, create: true, catalogData: CATALOG }),
    ).resolves.toEqual({
      ...REPOSITORY,
      created: false,
    });
    expect(ecrPublic.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('creates a missing repository with its catalog data', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).rejects(notFound);
    ecrPublic.on(CreateRepositoryCommand).resolves({ repository: REPOSITORY });
    const result = await ensurePublicRepository(client, { repositoryName: NAME, create: true, catalogData: CATALOG });
    expect(result).toEqual({ ...REPOSITORY, created: true });
    expect(ecrPublic.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      catalogData: CATALOG,
    });
  });

  it('creates without catalog data when none is given', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).rejects(notFound);
    ecrPublic.on(CreateRepositoryCommand).resolves({ repository: REPOSITORY });
    await ensurePublicRepository(client, { repositoryName: NAME, create: true });
    expect(ecrPublic.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toEqual({ repositoryName: NAME });
  });

  it('fails in one line when missing and creation is off', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).rejects(notFound);
    await expect(ensurePublicRepository(client, { repositoryName: NAME, create: false })).rejects.toThrow(
      `Repository "${NAME}" does not exist in ECR Public registry ${ACCOUNT} and create-repositories is false`,
    );
    expect(ecrPublic.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('describes again after losing a creation race', async () => {
    ecrPublic
      .on(DescribeRepositoriesCommand)
      .rejectsOnce(notFound)
      .resolves({ repositories: [REPOSITORY] });
    ecrPublic.on(CreateRepositoryCommand).rejects(publicError('RepositoryAlreadyExistsException', 'exists'));
    await expect(ensurePublicRepository(client, { repositoryName: NAME, create: true })).resolves.toMatchObject({
      created: false,
    });
  });

  it('reports a creation failure in one line', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).rejects(notFound);
    ecrPublic.on(CreateRepositoryCommand).rejects(publicError('LimitExceededException', 'too many repositories'));
    await expect(ensurePublicRepository(client, { repositoryName: NAME, create: true })).rejects.toThrow(
      `Could not create ECR Public repository "${NAME}": LimitExceededException: too many repositories`,
    );
  });
});

describe('ensurePublicRepository with a repository policy (issue 11: it used to be ignored on public)', () => {
  const POLICY =
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr-public:DescribeImages"}]}';

  it('sets the policy on a repository it created, without reading it first', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).rejects(notFound);
    ecrPublic.on(CreateRepositoryCommand).resolves({ repository: REPOSITORY });
    ecrPublic.on(SetRepositoryPolicyCommand).resolves({});
    await ensurePublicRepository(client, { repositoryName: NAME, create: true, repositoryPolicyText: POLICY });
    expect(ecrPublic.commandCalls(GetRepositoryPolicyCommand)).toHaveLength(0);
    expect(ecrPublic.commandCalls(SetRepositoryPolicyCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      policyText: POLICY,
    });
  });

  it('sets it on an existing repository without one, and leaves an equal one alone', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).resolves({ repositories: [REPOSITORY] });
    ecrPublic
      .on(GetRepositoryPolicyCommand)
      .rejectsOnce(publicError('RepositoryPolicyNotFoundException', 'none'))
      .resolves({ policyText: ` ${POLICY} ` });
    ecrPublic.on(SetRepositoryPolicyCommand).resolves({});
    await ensurePublicRepository(client, { repositoryName: NAME, create: true, repositoryPolicyText: POLICY });
    expect(ecrPublic.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(1);
    await ensurePublicRepository(client, { repositoryName: NAME, create: true, repositoryPolicyText: POLICY });
    expect(ecrPublic.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(1);
  });

  it('reports a refused policy in one line', async () => {
    ecrPublic.on(DescribeRepositoriesCommand).resolves({ repositories: [REPOSITORY] });
    ecrPublic.on(GetRepositoryPolicyCommand).resolves({ policyText: '{"Statement":[]}' });
    ecrPublic
      .on(SetRepositoryPolicyCommand)
      .rejects(publicError('InvalidParameterException', 'Invalid repository policy provided'));
    await expect(
      ensurePublicRepository(client, { repositoryName: NAME, create: true, repositoryPolicyText: POLICY }),
    ).rejects.toThrow(
      `Could not set the repository policy of ECR Public repository "${NAME}": InvalidParameterException: Invalid repository policy provided`,
    );
  });
});

describe('checkPublicRegistryAlias (issue 11: a wrong alias used to publish under the real one)', () => {
  const registry = (aliases: string[]) => ({
    registryId: ACCOUNT,
    registryArn: `arn:aws:ecr-public::${ACCOUNT}:registry/${ACCOUNT}`,
    registryUri: 'public.ecr.aws/x',
    verified: false,
    aliases: aliases.map((name) => ({
      name,
      status: 'ACTIVE' as const,
      primaryRegistryAlias: true,
      defaultRegistryAlias: true,
    })),
  });

  it("passes when the alias is one of the registry's", async () => {
    ecrPublic
      .on(DescribeRegistriesCommand)
      .resolvesOnce({ registries: [registry(['other'])], nextToken: 't' })
      .resolves({ registries: [registry(['paketo-buildpacks'])] });
    await expect(checkPublicRegistryAlias(client, 'paketo-buildpacks')).resolves.toBeUndefined();
  });

  it('names both aliases on a mismatch', async () => {
    ecrPublic.on(DescribeRegistriesCommand).resolves({ registries: [registry(['paketo-buildpacks'])] });
    await expect(checkPublicRegistryAlias(client, 'paketo')).rejects.toThrow(
      'public-registry-alias "paketo" is not an alias of this account\'s ECR Public registry: its alias is "paketo-buildpacks"',
    );
  });

  it('fails in one line when the aliases cannot be read', async () => {
    ecrPublic.on(DescribeRegistriesCommand).rejects(publicError('AccessDeniedException', 'not authorized', 403));
    await expect(checkPublicRegistryAlias(client, 'paketo')).rejects.toThrow(
      "Could not read the ECR Public registry's aliases: AccessDeniedException: not authorized",
    );
  });
});

describe('getPublicRegistryCredentials', () => {
  it('decodes the token, takes the host from a repositoryUri and masks the password', async () => {
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    ecrPublic.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: { authorizationToken: Buffer.from('AWS:public-secret').toString('base64'), expiresAt },
    });
    const secrets: string[] = [];
    const credentials = await getPublicRegistryCredentials(client, {
      registry: REPOSITORY.repositoryUri,
      onSecret: (value) => secrets.push(value),
    });
    expect(credentials).toEqual({ registry: 'public.ecr.aws', username: 'AWS', password: 'public-secret', expiresAt });
    expect(secrets).toContain('public-secret');
  });

  it('accepts an emulator host with a port', async () => {
    ecrPublic
      .on(GetAuthorizationTokenCommand)
      .resolves({ authorizationData: { authorizationToken: Buffer.from('AWS:p').toString('base64') } });
    const credentials = await getPublicRegistryCredentials(client, {
      registry: 'http://localhost:4566/alias/name',
      onSecret: () => undefined,
    });
    expect(credentials.registry).toBe('localhost:4566');
  });

  it('hints at sts:GetServiceBearerToken on AccessDenied', async () => {
    ecrPublic.on(GetAuthorizationTokenCommand).rejects(publicError('AccessDeniedException', 'not authorized', 403));
    await expect(
      getPublicRegistryCredentials(client, { registry: 'public.ecr.aws', onSecret: () => undefined }),
    ).rejects.toThrow(
      'Could not get an ECR Public authorization token: AccessDeniedException: not authorized (the role also needs sts:GetServiceBearerToken)',
    );
  });

  it('fails when no token comes back', async () => {
    ecrPublic.on(GetAuthorizationTokenCommand).resolves({});
    await expect(
      getPublicRegistryCredentials(client, { registry: 'public.ecr.aws', onSecret: () => undefined }),
    ).rejects.toThrow('ECR Public GetAuthorizationToken returned no token.');
  });
});
