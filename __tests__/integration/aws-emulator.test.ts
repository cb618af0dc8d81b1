import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as core from '@actions/core';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRegistryScanningConfigurationCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  StartImageScanCommand,
  type DescribeImageScanFindingsCommandOutput,
} from '@aws-sdk/client-ecr';
import {
  BatchDeleteImageCommand as PublicBatchDeleteImageCommand,
  CreateRepositoryCommand as PublicCreateRepositoryCommand,
  DescribeImageTagsCommand,
  DescribeRegistriesCommand,
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as PublicGetAuthorizationTokenCommand,
  GetRepositoryCatalogDataCommand,
  GetRepositoryPolicyCommand as PublicGetRepositoryPolicyCommand,
  PutRepositoryCatalogDataCommand,
  SetRepositoryPolicyCommand as PublicSetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr-public';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isAllowed, loadPolicyFile, statements } from '../../testbed/aws-emulator/iam.js';
import { IAM_POLICY_PATH, startAwsEmulator, type AwsEmulator } from '../../testbed/aws-emulator.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { pseudoRandomBytes, pushImage, pushIndex, type Target } from '../../testbed/images.js';

const savedEnv = { ...process.env };
let registry: LocalRegistry;
let target: Target;
let emulator: AwsEmulator;

/** core.getIDToken masks the token by printing `::add-mask::`; keep that out of the test output. */
async function idToken(audience: string): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await core.getIDToken(audience);
  } finally {
    process.stdout.write = write;
  }
}

async function assumeRole(audience = 'sts.amazonaws.com', roleArn = emulator.roleArn): Promise<AwsCredentialIdentity> {
  // No endpoint in the client config: AWS_ENDPOINT_URL_STS must route it to the emulator.
  const sts = new STSClient({ maxAttempts: 1 });
  const result = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn,
      RoleSessionName: 'ecr-publish-42',
      WebIdentityToken: await idToken(audience),
      DurationSeconds: 3600,
    }),
  );
  const c = result.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined)
    throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** Runs with the documented policy plus one more action, for emulator features the action itself does not use. */
async function withExtraPermission<T>(action: string, run: () => Promise<T>): Promise<T> {
  const documented = JSON.parse(readFileSync(IAM_POLICY_PATH, 'utf8')) as { Statement: object[] };
  emulator.setPermissionsPolicy({
    Version: '2012-10-17',
    Statement: [...documented.Statement, { Effect: 'Allow', Action: action, Resource: '*' }],
  } as never);
  try {
    return await run();
  } finally {
    emulator.setPermissionsPolicy(readFileSync(IAM_POLICY_PATH, 'utf8'));
  }
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  registry = await startRegistry({ auth: true });
  target = { url: registry.url, authorization: registry.authorization };
  const backend = { host: registry.host, username: registry.username ?? '', password: registry.password ?? '' };
  emulator = await startAwsEmulator({
    githubRepository: 'paketo-buildpacks/builder-jammy',
    registries: { private: backend, public: backend },
    staticCredentials: [{ accessKeyId: 'AKIAEMULATORSTATIC01', secretAccessKey: 'static-secret-key-0123456789' }],
  });
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ENDPOINT_URL',
  ])
    delete process.env[name];
  Object.assign(process.env, emulator.env());
});

afterAll(async () => {
  await emulator?.close();
  await registry?.stop();
  process.env = savedEnv;
});

describe('GitHub OIDC endpoint', () => {
  test('core.getIDToken gets a JWT with the runner claims', async () => {
    const token = await idToken('sts.amazonaws.com');
    const [header, payload, signature] = token.split('.');
    expect(signature).toMatch(/^[\w-]+$/);
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      aud: 'sts.amazonaws.com',
      sub: 'repo:paketo-buildpacks/builder-jammy:ref:refs/heads/main',
      iss: 'https://token.actions.githubusercontent.com',
    });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(emulator.oidc.issuedTokens).toContain(token);
  });

  test('a wrong request token is refused', async () => {
    const response = await fetch(`${emulator.env().ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(response.status).toBe(401);
  });
});

describe('STS AssumeRoleWithWebIdentity', () => {
  test('assumed credentials reach ECR through AWS_ENDPOINT_URL_ECR, signed and attributed to the role session', async () => {
    const credentials = await assumeRole();
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const ecr = new ECRClient({ credentials, maxAttempts: 1 });
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'buildpacks/builder-jammy-base',
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/ecr' },
      }),
    );
    expect(created.repository?.repositoryUri).toBe(`${registry.host}/buildpacks/builder-jammy-base`);
    expect(created.repository?.createdAt).toBeInstanceOf(Date);
    const described = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['buildpacks/builder-jammy-base'] }),
    );
    expect(described.repositories?.[0]).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/ecr' },
    });
    const missing = await errorOf(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })));
    expect(missing.name).toBe('RepositoryNotFoundException');
    const again = await errorOf(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'buildpacks/builder-jammy-base' })),
    );
    expect(again.name).toBe('RepositoryAlreadyExistsException');

    const call = emulator.calls.find((c) => c.service === 'ecr' && c.operation === 'CreateRepository');
    expect(call).toMatchObject({
      principal: 'arn:aws:sts::123456789012:assumed-role/ecr-publish/ecr-publish-42',
      region: 'us-west-2',
      allowed: true,
    });
    const stsCall = emulator.calls.find((c) => c.service === 'sts');
    expect(stsCall?.params.WebIdentityToken).toBe('<redacted>');

    const identity = await new STSClient({ credentials }).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe('arn:aws:sts::123456789012:assumed-role/ecr-publish/ecr-publish-42');
    expect(emulator.secrets()).toEqual(expect.arrayContaining([credentials.secretAccessKey, credentials.sessionToken]));
  });

  test('a request signed with the wrong secret, or by an unknown key, is refused', async () => {
    const credentials = await assumeRole();
    const forged = new ECRClient({
      credentials: { ...credentials, secretAccessKey: `${credentials.secretAccessKey}x` },
      maxAttempts: 1,
    });
    expect((await errorOf(forged.send(new DescribeRepositoriesCommand({})))).name).toBe('InvalidSignatureException');
    const unknown = new ECRClient({
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    expect((await errorOf(unknown.send(new DescribeRepositoriesCommand({})))).name).toBe('UnrecognizedClientException');
  });

  test('a token for another audience is an InvalidIdentityToken', async () => {
    const error = await errorOf(assumeRole('https://github.com/paketo-buildpacks'));
    expect(error.name).toBe('InvalidIdentityTokenException');
    expect(error.message).toBe('Incorrect token audience');
  });

  test('another role, or a forged token, is refused', async () => {
    const otherRole = await errorOf(assumeRole('sts.amazonaws.com', 'arn:aws:iam::123456789012:role/admin'));
    expect(otherRole.name).toBe('AccessDenied');
    expect(otherRole.$metadata?.httpStatusCode).toBe(403);
    const token = await idToken('sts.amazonaws.com');
    const [h, p] = token.split('.');
    const sts = new STSClient({ maxAttempts: 1 });
    const forged = await errorOf(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: emulator.roleArn,
          RoleSessionName: 's1',
          WebIdentityToken: `${h}.${p}.AAAA`,
        }),
      ),
    );
    expect(forged.name).toBe('InvalidIdentityTokenException');
  });

  test('the trust policy subject condition rejects another repository', async () => {
    const other = await startAwsEmulator({
      githubRepository: 'paketo-buildpacks/builder-jammy',
      oidcSubject: 'repo:evil/fork:ref:refs/heads/main',
    });
    try {
      const token = other.oidc.issue('sts.amazonaws.com');
      const sts = new STSClient({ endpoint: other.endpoint, maxAttempts: 1 });
      const error = await errorOf(
        sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: other.roleArn,
            RoleSessionName: 's1',
            WebIdentityToken: token,
          }),
        ),
      );
      expect(error.name).toBe('AccessDenied');
      expect(error.message).toContain('sts:AssumeRoleWithWebIdentity');
    } finally {
      await other.close();
    }
  });

  test('injected failures come back in order with their names, then the call succeeds', async () => {
    emulator.sts.failNext([
      { code: 'IDPCommunicationError', status: 400 },
      { code: 'Throttling', status: 400 },
      {
        code: 'InvalidIdentityToken',
        message: "Couldn't retrieve verification key from your identity provider",
        status: 400,
      },
      { status: 500 },
    ]);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const error = await errorOf(assumeRole());
      seen.push(`${error.name}:${error.$metadata?.httpStatusCode}`);
    }
    expect(seen).toEqual([
      'IDPCommunicationErrorException:400',
      'Throttling:400',
      'InvalidIdentityTokenException:400',
      'InternalFailure:500',
    ]);
    expect((await assumeRole()).accessKeyId).toMatch(/^ASIA/);
  });

  test('static credentials of a configured principal work through the default credential chain', async () => {
    Object.assign(process.env, emulator.staticCredentialsEnv());
    try {
      const ecr = new ECRClient({ maxAttempts: 1 });
      await ecr.send(new DescribeRepositoriesCommand({}));
      expect(emulator.calls.at(-1)).toMatchObject({
        operation: 'DescribeRepositories',
        principal: 'arn:aws:iam::123456789012:user/ecr-publish-ci',
        allowed: true,
      });
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });
});

describe('IAM enforcement', () => {
  test('the documented policy denies what the action does not need', async () => {
    const ecr = new ECRClient({ credentials: await assumeRole(), maxAttempts: 1 });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'iam/deny-delete' }));
    const error = await errorOf(
      ecr.send(new BatchDeleteImageCommand({ repositoryName: 'iam/deny-delete', imageIds: [{ imageTag: 'x' }] })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/ecr-publish/ecr-publish-42 is not authorized to perform: ecr:BatchDeleteImage on resource: arn:aws:ecr:us-west-2:123456789012:repository/iam/deny-delete because no identity-based policy allows the ecr:BatchDeleteImage action',
    );
    expect(emulator.calls.at(-1)).toMatchObject({
      operation: 'BatchDeleteImage',
      allowed: false,
      errorCode: 'AccessDeniedException',
    });
  });

  test("another account's registry: the role's policy is checked first, then that account's (absent) repository policy", async () => {
    const ecr = new ECRClient({ credentials: await assumeRole(), maxAttempts: 1 });
    const other = '210987654321';
    const denied = await errorOf(
      ecr.send(new DescribeRepositoriesCommand({ registryId: other, repositoryNames: ['app'] })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain(
      `ecr:DescribeRepositories on resource: arn:aws:ecr:us-west-2:${other}:repository/app because no identity-based policy allows`,
    );
    emulator.setPermissionsPolicy(readFileSync(IAM_POLICY_PATH, 'utf8').replaceAll('${AccountId}', '*'));
    try {
      const described = await errorOf(
        ecr.send(new DescribeRepositoriesCommand({ registryId: other, repositoryNames: ['app'] })),
      );
      const created = await errorOf(
        ecr.send(new CreateRepositoryCommand({ registryId: other, repositoryName: 'app' })),
      );
      for (const error of [described, created]) {
        expect(error.name).toBe('AccessDeniedException');
        expect(error.message).toContain(
          `on resource: arn:aws:ecr:us-west-2:${other}:repository/app because no resource-based policy allows`,
        );
      }
      expect([...emulator.ecr.repositories.keys()]).not.toContain('app');
    } finally {
      emulator.setPermissionsPolicy(readFileSync(IAM_POLICY_PATH, 'utf8'));
    }
  });

  test('a reduced policy makes a missing permission visible, including TagResource on create', async () => {
    const reduced = await startAwsEmulator({
      githubRepository: 'paketo-buildpacks/builder-jammy',
      permissionsPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['ecr:Describe*', 'ecr:CreateRepository'],
            Resource: 'arn:aws:ecr:${Region}:${AccountId}:repository/*',
          },
        ],
      },
    });
    try {
      const sts = new STSClient({ endpoint: reduced.endpoint, maxAttempts: 1 });
      const c = (
        await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: reduced.roleArn,
            RoleSessionName: 's1',
            WebIdentityToken: reduced.oidc.issue('sts.amazonaws.com'),
          }),
        )
      ).Credentials;
      const ecr = new ECRClient({
        endpoint: reduced.endpoint,
        credentials: {
          accessKeyId: c?.AccessKeyId ?? '',
          secretAccessKey: c?.SecretAccessKey ?? '',
          sessionToken: c?.SessionToken ?? '',
        },
        maxAttempts: 1,
      });
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'plain' }));
      const tagged = await errorOf(
        ecr.send(new CreateRepositoryCommand({ repositoryName: 'tagged', tags: [{ Key: 'a', Value: 'b' }] })),
      );
      expect(tagged.message).toContain('ecr:TagResource');
      const lifecycle = await errorOf(
        ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'plain', lifecyclePolicyText: '{"rules":[]}' })),
      );
      expect(lifecycle.name).toBe('AccessDeniedException');
      expect(lifecycle.message).toContain(
        'ecr:PutLifecyclePolicy on resource: arn:aws:ecr:us-west-2:123456789012:repository/plain',
      );
      const token = await errorOf(ecr.send(new GetAuthorizationTokenCommand({})));
      expect(token.message).toContain('ecr:GetAuthorizationToken on resource: *');
      expect([...reduced.ecr.repositories.keys()]).toEqual(['plain']);
    } finally {
      await reduced.close();
    }
  });
});

describe('docs/iam-policy.json is exactly what the action needs', () => {
  const prefixes: Record<string, string> = {
    '@aws-sdk/client-ecr': 'ecr',
    '@aws-sdk/client-ecr-public': 'ecr-public',
    '@aws-sdk/client-sts': 'sts',
  };
  // Registry (data-plane) calls the copy engine makes over HTTP, which no SDK command shows.
  const dataPlane = [
    ...[
      'BatchCheckLayerAvailability',
      'InitiateLayerUpload',
      'UploadLayerPart',
      'CompleteLayerUpload',
      'PutImage',
      'BatchGetImage',
      'GetDownloadUrlForLayer',
    ].map((a) => `ecr:${a}`),
    ...['BatchCheckLayerAvailability', 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload', 'PutImage'].map(
      (a) => `ecr-public:${a}`,
    ),
    'sts:GetServiceBearerToken',
  ];

  /** IAM actions of every SDK command the action's source sends (sts:AssumeRoleWithWebIdentity is the trust policy's). */
  function actionsUsedBySource(): Set<string> {
    const used = new Set<string>();
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const text = readFileSync(join('src', file), 'utf8');
      for (const match of text.matchAll(/import\s*{([^}]*)}\s*from\s*'(@aws-sdk\/client-[a-z-]+)'/g)) {
        const prefix = prefixes[match[2] ?? ''];
        if (prefix === undefined) continue;
        for (const entry of (match[1] ?? '').split(',')) {
          const [imported, local = imported] = entry
            .replace(/^\s*type\s+/, '')
            .split(/\s+as\s+/)
            .map((part) => part.trim());
          if (imported === undefined || !imported.endsWith('Command') || local === undefined) continue;
          if (new RegExp(`new ${local}\\(`).test(text)) used.add(`${prefix}:${imported.replace(/Command$/, '')}`);
        }
      }
    }
    used.delete('sts:AssumeRoleWithWebIdentity');
    return used;
  }

  const policy = loadPolicyFile(IAM_POLICY_PATH, { AccountId: '123456789012', Region: 'us-west-2' });
  const resourceFor = (action: string) =>
    action.startsWith('ecr-public:')
      ? 'arn:aws:ecr-public::123456789012:repository/paketo-buildpacks/x'
      : 'arn:aws:ecr:us-west-2:123456789012:repository/buildpacks/x';

  test('every command the source sends, and every registry call, is allowed', () => {
    const used = actionsUsedBySource();
    expect(used.size).toBeGreaterThan(5);
    const refused = [...used, ...dataPlane].filter(
      (action) => !isAllowed(policy, action, resourceFor(action)) && !isAllowed(policy, action, '*'),
    );
    expect(refused).toEqual([]);
  });

  test('it grants nothing the action does not call', () => {
    const needed = new Set([...actionsUsedBySource(), ...dataPlane].map((a) => a.toLowerCase()));
    const granted = statements(policy).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action ?? '']));
    expect(granted.filter((action) => !needed.has(action.toLowerCase()))).toEqual([]);
  });

  test('repository actions are scoped to repositories of the account, not *', () => {
    expect(isAllowed(policy, 'ecr:PutImage', '*')).toBe(false);
    expect(isAllowed(policy, 'ecr:PutImage', 'arn:aws:ecr:us-west-2:999999999999:repository/x')).toBe(false);
    expect(isAllowed(policy, 'ecr-public:PutImage', 'arn:aws:ecr-public::999999999999:repository/x')).toBe(false);
  });
});

describe('private ECR over a real registry', () => {
  test('settings, auth token and image operations', async () => {
    const ecr = new ECRClient({ credentials: await assumeRole(), maxAttempts: 1 });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'images/app' }));
    await ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName: 'images/app',
        lifecyclePolicyText: '{"rules":[{"rulePriority":1}]}',
      }),
    );
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'images/app',
        policyText: '{"Version":"2012-10-17","Statement":[]}',
      }),
    );
    const badPolicy = await errorOf(
      ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'images/app', lifecyclePolicyText: 'not json' })),
    );
    expect(badPolicy.name).toBe('InvalidParameterException');
    expect(emulator.ecr.repositories.get('images/app')).toMatchObject({
      lifecyclePolicyText: '{"rules":[{"rulePriority":1}]}',
      policyText: '{"Version":"2012-10-17","Statement":[]}',
      imageTagMutability: 'MUTABLE',
    });

    const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
    const data = auth.authorizationData?.[0];
    expect(Buffer.from(data?.authorizationToken ?? '', 'base64').toString()).toBe(`AWS:${registry.password ?? ''}`);
    expect(data?.proxyEndpoint).toBe(`http://${registry.host}`);
    expect(data?.expiresAt?.getTime()).toBeGreaterThan(Date.now());

    const amd64 = await pushImage(target, 'images/app', { layers: [pseudoRandomBytes(300, 1)] });
    const arm64 = await pushImage(target, 'images/app', { layers: [pseudoRandomBytes(200, 2)], architecture: 'arm64' });
    const index = await pushIndex(
      target,
      'images/app',
      [
        { manifest: amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { manifest: arm64, platform: { os: 'linux', architecture: 'arm64' } },
      ],
      { tag: '1.2.3' },
    );

    const listed = await withExtraPermission('ecr:ListImages', () =>
      ecr.send(new ListImagesCommand({ repositoryName: 'images/app' })),
    );
    expect(listed.imageIds).toEqual(
      expect.arrayContaining([
        { imageDigest: index.digest, imageTag: '1.2.3' },
        { imageDigest: amd64.digest },
        { imageDigest: arm64.digest },
      ]),
    );
    expect(listed.imageIds).toHaveLength(3);

    const details = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'images/app', imageIds: [{ imageTag: '1.2.3' }] }),
    );
    expect(details.imageDetails?.[0]).toMatchObject({
      imageDigest: index.digest,
      imageTags: ['1.2.3'],
      imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
    });
    expect(details.imageDetails?.[0]?.imagePushedAt).toBeInstanceOf(Date);
    const notThere = await errorOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'images/app', imageIds: [{ imageTag: 'missing' }] })),
    );
    expect(notThere.name).toBe('ImageNotFoundException');

    const got = await ecr.send(
      new BatchGetImageCommand({
        repositoryName: 'images/app',
        imageIds: [{ imageTag: '1.2.3' }, { imageTag: 'nope' }],
        acceptedMediaTypes: ['application/vnd.oci.image.index.v1+json'],
      }),
    );
    expect(got.images?.[0]?.imageManifest).toBe(index.bytes.toString('utf8'));
    expect(got.failures?.[0]).toMatchObject({ imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound' });

    const manifest = got.images?.[0]?.imageManifest ?? '';
    const put = await ecr.send(
      new PutImageCommand({
        repositoryName: 'images/app',
        imageManifest: manifest,
        imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
        imageTag: 'prod',
      }),
    );
    expect(put.image?.imageId).toEqual({ imageDigest: index.digest, imageTag: 'prod' });
    const same = await errorOf(
      ecr.send(
        new PutImageCommand({
          repositoryName: 'images/app',
          imageManifest: manifest,
          imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
          imageTag: 'prod',
        }),
      ),
    );
    expect(same.name).toBe('ImageAlreadyExistsException');
    const wrongDigest = await errorOf(
      ecr.send(
        new PutImageCommand({
          repositoryName: 'images/app',
          imageManifest: manifest,
          imageDigest: amd64.digest,
          imageTag: 'x',
        }),
      ),
    );
    expect(wrongDigest.name).toBe('ImageDigestDoesNotMatchException');

    const immutable = emulator.ecr.addRepository('images/immutable', { imageTagMutability: 'IMMUTABLE' });
    await pushImage(target, immutable.registryPath, { layers: [pseudoRandomBytes(100, 3)] }, 'prod');
    const moved = await errorOf(
      ecr.send(
        new PutImageCommand({
          repositoryName: 'images/immutable',
          imageManifest: amd64.bytes.toString('utf8'),
          imageTag: 'prod',
        }),
      ),
    );
    expect(moved.name).toBe('ImageTagAlreadyExistsException');
  });

  test('tag-only deletion removes just that tag; deleting the last tag deletes the image', async () => {
    const pushedAs = emulator.ecr.addRepository('images/deletions');
    const image = await pushImage(target, pushedAs.registryPath, { layers: [pseudoRandomBytes(100, 4)] }, 'a');
    await fetch(`${registry.url}/v2/images/deletions/manifests/b`, {
      method: 'PUT',
      headers: { authorization: registry.authorization ?? '', 'content-type': image.mediaType },
      body: image.bytes,
    });
    const ids = await emulator.ecr.images.delete('images/deletions', { imageTag: 'a' });
    expect(ids).toEqual({ imageDigest: image.digest, imageTag: 'a' });
    const remaining = await emulator.ecr.images.listImages('images/deletions');
    expect(remaining.map((i) => [i.digest, i.tags])).toEqual([[image.digest, ['b']]]);
    await emulator.ecr.images.delete('images/deletions', { imageTag: 'b' });
    expect(await emulator.ecr.images.listImages('images/deletions')).toEqual([]);
    expect(emulator.ecr.deletedImages.map((d) => d.imageTag)).toEqual(['a', 'b']);
  });
});

describe('ECR Public', () => {
  test('answers only in us-east-1', async () => {
    const credentials = await assumeRole();
    const elsewhere = new ECRPUBLICClient({ region: 'eu-west-1', credentials, maxAttempts: 1 });
    const error = await errorOf(elsewhere.send(new PublicGetAuthorizationTokenCommand({})));
    expect(error.name).toBe('UnsupportedCommandException');
    const home = new ECRPUBLICClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
    const token = await home.send(new PublicGetAuthorizationTokenCommand({}));
    expect(Buffer.from(token.authorizationData?.authorizationToken ?? '', 'base64').toString()).toBe(
      `AWS:${registry.password ?? ''}`,
    );
    expect(emulator.calls.filter((c) => c.service === 'ecr-public').map((c) => [c.region, c.errorCode])).toEqual([
      ['eu-west-1', 'UnsupportedCommandException'],
      ['us-east-1', undefined],
    ]);
  });

  test('GetAuthorizationToken also needs sts:GetServiceBearerToken', async () => {
    const reduced = await startAwsEmulator({
      permissionsPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ecr-public:*', Resource: '*' }],
      },
    });
    try {
      const c = (
        await new STSClient({ endpoint: reduced.endpoint, maxAttempts: 1 }).send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: reduced.roleArn,
            RoleSessionName: 's1',
            WebIdentityToken: reduced.oidc.issue('sts.amazonaws.com'),
          }),
        )
      ).Credentials;
      const client = new ECRPUBLICClient({
        region: 'us-east-1',
        endpoint: reduced.endpoint,
        credentials: {
          accessKeyId: c?.AccessKeyId ?? '',
          secretAccessKey: c?.SecretAccessKey ?? '',
          sessionToken: c?.SessionToken ?? '',
        },
        maxAttempts: 1,
      });
      const error = await errorOf(client.send(new PublicGetAuthorizationTokenCommand({})));
      expect(error.name).toBe('AccessDeniedException');
      expect(error.message).toContain('sts:GetServiceBearerToken on resource: *');
    } finally {
      await reduced.close();
    }
  });

  test('repositories, catalog data, tags and retention deletes', async () => {
    const client = new ECRPUBLICClient({ region: 'us-east-1', credentials: await assumeRole(), maxAttempts: 1 });
    const created = await client.send(
      new PublicCreateRepositoryCommand({
        repositoryName: 'builder-jammy-base',
        catalogData: { description: 'Builder', architectures: ['x86-64', 'ARM 64'], operatingSystems: ['Linux'] },
      }),
    );
    expect(created.repository?.repositoryUri).toBe(`${registry.host}/paketo-buildpacks/builder-jammy-base`);
    expect(created.catalogData).toMatchObject({ description: 'Builder', architectures: ['x86-64', 'ARM 64'] });
    const badArch = await errorOf(
      client.send(
        new PutRepositoryCatalogDataCommand({
          repositoryName: 'builder-jammy-base',
          catalogData: { architectures: ['amd64'] },
        }),
      ),
    );
    expect(badArch.name).toBe('InvalidParameterException');
    await client.send(
      new PutRepositoryCatalogDataCommand({
        repositoryName: 'builder-jammy-base',
        catalogData: { aboutText: '# About', usageText: 'pack build' },
      }),
    );
    expect(
      (await client.send(new GetRepositoryCatalogDataCommand({ repositoryName: 'builder-jammy-base' }))).catalogData,
    ).toEqual({ aboutText: '# About', usageText: 'pack build' });
    // Issue 11: the action reads the aliases (public-registry-alias check) and sets repository policies on ECR Public.
    const registries = await client.send(new DescribeRegistriesCommand({}));
    expect(registries.registries?.[0]?.aliases?.map((a) => a.name)).toEqual(['paketo-buildpacks']);
    const noPolicy = await errorOf(
      client.send(new PublicGetRepositoryPolicyCommand({ repositoryName: 'builder-jammy-base' })),
    );
    expect(noPolicy.name).toBe('RepositoryPolicyNotFoundException');
    const policyText = '{"Version":"2012-10-17","Statement":[]}';
    await client.send(new PublicSetRepositoryPolicyCommand({ repositoryName: 'builder-jammy-base', policyText }));
    expect(
      (await client.send(new PublicGetRepositoryPolicyCommand({ repositoryName: 'builder-jammy-base' }))).policyText,
    ).toBe(policyText);

    const path = 'paketo-buildpacks/builder-jammy-base';
    const v1 = await pushImage(target, path, { layers: [pseudoRandomBytes(50, 5)] }, '0.1.0');
    const v2 = await pushImage(target, path, { layers: [pseudoRandomBytes(50, 6)] }, '0.2.0');
    await fetch(`${registry.url}/v2/${path}/manifests/latest`, {
      method: 'PUT',
      headers: { authorization: registry.authorization ?? '', 'content-type': v2.mediaType },
      body: v2.bytes,
    });
    const tags = await withExtraPermission('ecr-public:DescribeImageTags', () =>
      client.send(new DescribeImageTagsCommand({ repositoryName: 'builder-jammy-base' })),
    );
    expect(tags.imageTagDetails?.map((t) => [t.imageTag, t.imageDetail?.imageDigest])).toEqual([
      ['0.1.0', v1.digest],
      ['0.2.0', v2.digest],
      ['latest', v2.digest],
    ]);
    const deleted = await client.send(
      new PublicBatchDeleteImageCommand({
        repositoryName: 'builder-jammy-base',
        imageIds: [{ imageDigest: v1.digest }, { imageTag: 'gone' }],
      }),
    );
    expect(deleted.imageIds).toEqual([{ imageDigest: v1.digest }]);
    expect(deleted.failures?.[0]?.failureCode).toBe('ImageNotFound');
    const after = await withExtraPermission('ecr-public:DescribeImageTags', () =>
      client.send(new DescribeImageTagsCommand({ repositoryName: 'builder-jammy-base' })),
    );
    expect(after.imageTagDetails?.map((t) => t.imageTag)).toEqual(['0.2.0', 'latest']);
  });
});

describe('scan behaviour', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  let ecr: ECRClient;

  beforeAll(async () => {
    ecr = new ECRClient({ credentials: await assumeRole(), maxAttempts: 1 });
    emulator.ecr.addRepository('scan/app');
  });

  async function allFindings(
    first: DescribeImageScanFindingsCommandOutput,
  ): Promise<DescribeImageScanFindingsCommandOutput[]> {
    const pages = [first];
    let token = first.nextToken;
    while (token !== undefined) {
      const page = await ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: 'scan/app',
          imageId: { imageDigest: digest },
          maxResults: 10,
          nextToken: token,
        }),
      );
      pages.push(page);
      token = page.nextToken;
    }
    return pages;
  }

  test('a basic scan script: not found, in progress, complete with paginated findings, then more findings', async () => {
    emulator.ecr.setScanning({
      scanType: 'BASIC',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'scan/*', filterType: 'WILDCARD' }] }],
    });
    emulator.ecr.scan.pageSize = 2;
    const three = [
      { name: 'CVE-2024-0001', severity: 'HIGH' as const, packageName: 'openssl', packageVersion: '3.0.2' },
      { name: 'CVE-2024-0002', severity: 'LOW' as const, packageName: 'zlib', packageVersion: '1.2' },
      { name: 'CVE-2024-0003', severity: 'HIGH' as const, packageName: 'curl', packageVersion: '7.81' },
    ];
    emulator.ecr.scriptScan('scan/app', digest, [
      { status: 'NOT_FOUND' },
      { status: 'IN_PROGRESS' },
      { status: 'COMPLETE', findings: three },
      {
        status: 'COMPLETE',
        findings: [
          ...three,
          { name: 'CVE-2024-0004', severity: 'CRITICAL', packageName: 'glibc', packageVersion: '2.35' },
        ],
      },
    ]);
    const poll = () =>
      ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: 'scan/app',
          imageId: { imageDigest: digest },
          maxResults: 10,
        }),
      );
    expect((await errorOf(poll())).name).toBe('ScanNotFoundException');
    expect((await poll()).imageScanStatus?.status).toBe('IN_PROGRESS');
    const complete = await allFindings(await poll());
    expect(complete).toHaveLength(2);
    expect(complete[0]?.imageScanFindings?.findingSeverityCounts).toEqual({ HIGH: 2, LOW: 1 });
    expect(complete.flatMap((p) => p.imageScanFindings?.findings?.map((f) => f.name) ?? [])).toEqual([
      'CVE-2024-0001',
      'CVE-2024-0002',
      'CVE-2024-0003',
    ]);
    expect(complete[0]?.imageScanFindings?.findings?.[0]?.attributes).toEqual(
      expect.arrayContaining([
        { key: 'package_name', value: 'openssl' },
        { key: 'package_version', value: '3.0.2' },
      ]),
    );
    const grown = await allFindings(await poll());
    expect(grown.flatMap((p) => p.imageScanFindings?.findings ?? [])).toHaveLength(4);
    expect(grown[0]?.imageScanFindings?.findingSeverityCounts?.CRITICAL).toBe(1);
    expect(emulator.ecr.scan.pollCount('scan/app', digest)).toBe(4);
    const config = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
    expect(config.scanningConfiguration?.rules?.[0]?.repositoryFilters?.[0]?.filter).toBe('scan/*');
  });

  test('enhanced findings, failed scans and the StartImageScan quota', async () => {
    const enhancedDigest = `sha256:${'b'.repeat(64)}`;
    emulator.ecr.setScanning({
      scanType: 'ENHANCED',
      rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }],
    });
    emulator.ecr.scriptScan('scan/app', enhancedDigest, [
      {
        status: 'ACTIVE',
        enhancedFindings: [
          {
            vulnerabilityId: 'CVE-2025-1111',
            severity: 'UNTRIAGED',
            packageName: 'libxml2',
            packageVersion: '2.9',
            fixedInVersion: '2.10',
          },
        ],
      },
    ]);
    const result = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName: 'scan/app', imageId: { imageDigest: enhancedDigest } }),
    );
    expect(result.imageScanStatus?.status).toBe('ACTIVE');
    const finding = result.imageScanFindings?.enhancedFindings?.[0];
    expect(finding).toMatchObject({
      severity: 'UNTRIAGED',
      fixAvailable: 'YES',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2025-1111',
        vulnerablePackages: [{ name: 'libxml2', version: '2.9', fixedInVersion: '2.10' }],
      },
    });
    expect(finding?.findingArn).toMatch(/^arn:aws:inspector2:us-west-2:123456789012:finding\//);
    const underEnhanced = await errorOf(
      ecr.send(new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageDigest: enhancedDigest } })),
    );
    expect(underEnhanced.name).toBe('ValidationException');

    emulator.ecr.setScanning({ scanType: 'BASIC', rules: [] });
    const failedDigest = `sha256:${'c'.repeat(64)}`;
    emulator.ecr.scriptScan('scan/app', failedDigest, [{ status: 'UNSUPPORTED_IMAGE' }]);
    expect(
      (
        await ecr.send(
          new DescribeImageScanFindingsCommand({ repositoryName: 'scan/app', imageId: { imageDigest: failedDigest } }),
        )
      ).imageScanStatus?.status,
    ).toBe('UNSUPPORTED_IMAGE');
    const started = await ecr.send(
      new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageDigest: failedDigest } }),
    );
    expect(started.imageScanStatus?.status).toBe('IN_PROGRESS');
    const twice = await errorOf(
      ecr.send(new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageDigest: failedDigest } })),
    );
    expect(twice.name).toBe('LimitExceededException');
  });

  test('an unscripted image in an uncovered repository has no scan; a missing image is ImageNotFound', async () => {
    const repository = emulator.ecr.addRepository('unscanned/app', { scanOnPush: false });
    const image = await pushImage(target, repository.registryPath, { layers: [pseudoRandomBytes(10, 7)] }, 'v1');
    emulator.ecr.setScanning({
      scanType: 'BASIC',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'scan/*', filterType: 'WILDCARD' }] }],
    });
    const none = await errorOf(
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'unscanned/app', imageId: { imageTag: 'v1' } })),
    );
    expect(none.name).toBe('ScanNotFoundException');
    expect(none.message).toContain(image.digest);
    const missing = await errorOf(
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'unscanned/app', imageId: { imageTag: 'v2' } })),
    );
    expect(missing.name).toBe('ImageNotFoundException');
  });
});
