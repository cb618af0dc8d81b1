import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ensurePrivateRepository,
  getPrivateRegistryCredentials,
  hostOfEndpoint,
  type PrivateRepositorySettings,
} from '../../src/aws/ecr.js';
import { sameJson } from '../../src/aws/policy-sync.js';

const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const NAME = 'buildpacks/builder-jammy-base';
const REPOSITORY = {
  repositoryName: NAME,
  repositoryUri: `${HOST}/${NAME}`,
  repositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${NAME}`,
  registryId: ACCOUNT,
};

function ecrError(name: string, message: string, status = 400): ECRServiceException {
  return new ECRServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const notFound = ecrError(
  'RepositoryNotFoundException',
  `The repository with name '${NAME}' does not exist in the registry with id '${ACCOUNT}'`,
);

const LIFECYCLE = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'pull',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      Action: ['ecr:BatchGetImage'],
    },
  ],
});

const baseSettings: PrivateRepositorySettings = {
  imageTagMutability: 'MUTABLE',
  scanOnPush: true,
  encryptionType: 'AES256',
};

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: 'eu-west-1' });

beforeEach(() => {
  ecr.reset();
});

describe('ensurePrivateRepository', () => {
  it('returns an existing repository as ECR describes it, creating nothing', async () => {
    ecr.on(DescribeRepositoriesCommand, { repositoryNames: [NAME] }).resolves({ repositories: [REPOSITORY] });
    const result = await ensurePrivateRepository(client, {
      repositoryName: NAME,
      create: true,
      settings: baseSettings,
    });
    expect(result).toEqual({
      ...REPOSITORY,
      created: false,
      lifecyclePolicyChanged: false,
      repositoryPolicyChanged: false,
    });
    expect(ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('creates a missing repository with the settings and policies', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound);
    ecr.on(CreateRepositoryCommand).resolves({ repository: REPOSITORY });
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    ecr.on(SetRepositoryPolicyCommand).resolves({});
    const result = await ensurePrivateRepository(client, {
      repositoryName: NAME,
      registryId: ACCOUNT,
      create: true,
      settings: {
        imageTagMutability: 'IMMUTABLE',
        scanOnPush: false,
        encryptionType: 'KMS',
        kmsKey: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
        lifecyclePolicyText: LIFECYCLE,
        repositoryPolicyText: POLICY,
      },
    });
    expect(result).toMatchObject({
      repositoryUri: `${HOST}/${NAME}`,
      created: true,
      lifecyclePolicyChanged: true,
      repositoryPolicyChanged: true,
    });
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:eu-west-1:123456789012:key/abc' },
    });
    expect(ecr.commandCalls(PutLifecyclePolicyCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      registryId: ACCOUNT,
      lifecyclePolicyText: LIFECYCLE,
    });
    expect(ecr.commandCalls(SetRepositoryPolicyCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      registryId: ACCOUNT,
      policyText: POLICY,
    });
    // A fresh repository has no policies to compare with.
    expect(ecr.commandCalls(GetLifecyclePolicyCommand)).toHaveLength(0);
    expect(ecr.commandCalls(GetRepositoryPolicyCommand)).toHaveLength(0);
  });

  it('omits kmsKey and registryId when not given', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound);
    ecr.on(CreateRepositoryCommand).resolves({ repository: REPOSITORY });
    await ensurePrivateRepository(client, { repositoryName: NAME, create: true, settings: baseSettings });
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });

  it('fails in one line when the repository is missing and creation is off', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound);
    await expect(
      ensurePrivateRepository(client, { repositoryName: NAME, create: false, settings: baseSettings }),
    ).rejects.toThrow(`Repository "${NAME}" does not exist in registry ${ACCOUNT} and create-repositories is false`);
    expect(ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('describes again when another job created the repository first', async () => {
    ecr
      .on(DescribeRepositoriesCommand)
      .rejectsOnce(notFound)
      .resolves({ repositories: [REPOSITORY] });
    ecr.on(CreateRepositoryCommand).rejects(ecrError('RepositoryAlreadyExistsException', 'exists'));
    const result = await ensurePrivateRepository(client, {
      repositoryName: NAME,
      create: true,
      settings: baseSettings,
    });
    expect(result).toMatchObject({ repositoryUri: REPOSITORY.repositoryUri, created: false });
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(2);
  });

  it('leaves equal policies of an existing repository alone, comparing parsed JSON', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [REPOSITORY] });
    ecr.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: JSON.stringify(JSON.parse(LIFECYCLE), null, 2) });
    const reordered = JSON.parse(POLICY) as Record<string, unknown>;
    ecr.on(GetRepositoryPolicyCommand).resolves({
      policyText: JSON.stringify({ Statement: reordered['Statement'], Version: reordered['Version'] }, null, 4),
    });
    const result = await ensurePrivateRepository(client, {
      repositoryName: NAME,
      create: true,
      settings: { ...baseSettings, lifecyclePolicyText: LIFECYCLE, repositoryPolicyText: POLICY },
    });
    expect(result).toMatchObject({ created: false, lifecyclePolicyChanged: false, repositoryPolicyChanged: false });
    expect(ecr.commandCalls(PutLifecyclePolicyCommand)).toHaveLength(0);
    expect(ecr.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(0);
  });

  it('updates differing or absent policies of an existing repository', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [REPOSITORY] });
    ecr.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: '{"rules":[]}' });
    ecr.on(GetRepositoryPolicyCommand).rejects(ecrError('RepositoryPolicyNotFoundException', 'none'));
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    ecr.on(SetRepositoryPolicyCommand).resolves({});
    const result = await ensurePrivateRepository(client, {
      repositoryName: NAME,
      create: false,
      settings: { ...baseSettings, lifecyclePolicyText: LIFECYCLE, repositoryPolicyText: POLICY },
    });
    expect(result).toMatchObject({ lifecyclePolicyChanged: true, repositoryPolicyChanged: true });
    expect(ecr.commandCalls(PutLifecyclePolicyCommand)[0]?.args[0].input).toEqual({
      repositoryName: NAME,
      registryId: ACCOUNT,
      lifecyclePolicyText: LIFECYCLE,
    });
    expect(ecr.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(1);
  });

  it('reports AccessDenied on describe in one line naming the repository', async () => {
    ecr
      .on(DescribeRepositoriesCommand)
      .rejects(ecrError('AccessDeniedException', 'User is not authorized to perform: ecr:DescribeRepositories', 403));
    await expect(
      ensurePrivateRepository(client, { repositoryName: NAME, create: true, settings: baseSettings }),
    ).rejects.toThrow(
      `Could not describe ECR repository "${NAME}": AccessDeniedException: User is not authorized to perform: ecr:DescribeRepositories`,
    );
  });

  it('reports a failed policy write', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [REPOSITORY] });
    ecr.on(GetLifecyclePolicyCommand).rejects(ecrError('LifecyclePolicyNotFoundException', 'none'));
    ecr
      .on(PutLifecyclePolicyCommand)
      .rejects(ecrError('InvalidParameterException', 'Invalid parameter at LifecyclePolicyText'));
    await expect(
      ensurePrivateRepository(client, {
        repositoryName: NAME,
        create: true,
        settings: { ...baseSettings, lifecyclePolicyText: '{"rules":1}' },
      }),
    ).rejects.toThrow(
      `Could not set the lifecycle policy of ECR repository "${NAME}": InvalidParameterException: Invalid parameter at LifecyclePolicyText`,
    );
  });
});

describe('getPrivateRegistryCredentials', () => {
  it('decodes AWS:password, strips the scheme and masks the password', async () => {
    const expiresAt = new Date('2030-01-01T12:00:00Z');
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from('AWS:pa:ss-word').toString('base64'),
          proxyEndpoint: `https://${HOST}`,
          expiresAt,
        },
      ],
    });
    const secrets: string[] = [];
    const credentials = await getPrivateRegistryCredentials(client, {
      registryId: ACCOUNT,
      onSecret: (value) => secrets.push(value),
    });
    expect(credentials).toEqual({
      registry: HOST,
      proxyEndpoint: `https://${HOST}`,
      username: 'AWS',
      password: 'pa:ss-word',
      expiresAt,
    });
    expect(secrets).toContain('pa:ss-word');
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0]?.args[0].input).toEqual({ registryIds: [ACCOUNT] });
  });

  it('keeps the port of an emulator endpoint', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        { authorizationToken: Buffer.from('AWS:x').toString('base64'), proxyEndpoint: 'http://127.0.0.1:4510' },
      ],
    });
    const credentials = await getPrivateRegistryCredentials(client, { onSecret: () => undefined });
    expect(credentials.registry).toBe('127.0.0.1:4510');
    expect(credentials.expiresAt).toBeUndefined();
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0]?.args[0].input).toEqual({});
  });

  it('rejects a malformed token without printing it', async () => {
    const token = Buffer.from('no-colon-here').toString('base64');
    ecr
      .on(GetAuthorizationTokenCommand)
      .resolves({ authorizationData: [{ authorizationToken: token, proxyEndpoint: `https://${HOST}` }] });
    const error = await getPrivateRegistryCredentials(client, { onSecret: () => undefined }).then(
      () => new Error('expected a rejection'),
      (caught: unknown) => caught as Error,
    );
    expect(error.message).toContain('not base64 "user:password"');
    expect(error.message).not.toContain(token);
  });

  it('reports an API failure in one line', async () => {
    ecr
      .on(GetAuthorizationTokenCommand)
      .rejects(ecrError('AccessDeniedException', 'not authorized to perform: ecr:GetAuthorizationToken', 403));
    await expect(getPrivateRegistryCredentials(client, { onSecret: () => undefined })).rejects.toThrow(
      "Could not get an ECR authorization token: AccessDeniedException: not authorized to perform: ecr:GetAuthorizationToken. The role's policy must allow ecr:GetAuthorizationToken on * (see IAM in the README).",
    );
  });
});

describe('helpers', () => {
  it('compares JSON regardless of key order and whitespace', () => {
    expect(sameJson('{"a":1,"b":[1,{"c":2,"d":3}]}', '{ "b": [1, {"d":3, "c":2}], "a": 1 }')).toBe(true);
    expect(sameJson('{"a":[1,2]}', '{"a":[2,1]}')).toBe(false);
    expect(sameJson('{"a":1}', 'not json')).toBe(false);
  });

  it('takes the host from an endpoint', () => {
    expect(hostOfEndpoint('https://public.ecr.aws/')).toBe('public.ecr.aws');
    expect(hostOfEndpoint('localhost:5000')).toBe('localhost:5000');
  });
});
