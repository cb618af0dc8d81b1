import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  PutImageCommand,
  type CreateRepositoryCommandInput,
} from '@aws-sdk/client-ecr';
import { startAwsEmulator, type AwsEmulator } from '../../testbed/aws-emulator.js';
import { startEcrRegistryFront } from '../../testbed/aws-emulator/registry-front.js';
import { wildcardMatches } from '../../testbed/aws-emulator/tag-mutability.js';
import type { Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage, type Target } from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';

/** The emulator models ECR's four tag mutability settings and exclusion filters, on both of its APIs. */
let registry: LocalRegistry;
let emulator: AwsEmulator;
let front: Proxy;
let ecr: ECRClient;
let direct: Target;
let viaFront: Target;

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  registry = await startRegistry({ auth: true });
  const backend = { host: registry.host, username: 'AWS', password: registry.password ?? '' };
  const key = { accessKeyId: 'AKIAEMULATORMUTABLE1', secretAccessKey: 'static-secret-key-mutability' };
  emulator = await startAwsEmulator({ registries: { private: backend }, staticCredentials: [key] });
  front = await startEcrRegistryFront(emulator.ecr, backend);
  ecr = new ECRClient({
    region: emulator.region,
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
  });
  direct = { url: registry.url, authorization: registry.authorization };
  viaFront = { url: front.url, authorization: registry.authorization };
});

afterAll(async () => {
  await front?.close();
  await emulator?.close();
  await registry?.stop();
});

const create = (input: Omit<CreateRepositoryCommandInput, 'repositoryName'>, name: string) =>
  ecr.send(new CreateRepositoryCommand({ repositoryName: name, ...input }));
const wildcard = (...filters: string[]) => filters.map((filter) => ({ filterType: 'WILDCARD' as const, filter }));

describe('CreateRepository checks the setting and its exclusion filters', () => {
  test('the *_WITH_EXCLUSION settings need 1 to 5 filters; the others take none', async () => {
    const missing = await errorOf(create({ imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' }, 'm/missing'));
    expect(missing.name).toBe('InvalidParameterException');
    const unwanted = await errorOf(
      create({ imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: wildcard('latest') }, 'm/unwanted'),
    );
    expect(unwanted.name).toBe('InvalidParameterException');
    const tooMany = await errorOf(
      create(
        {
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: wildcard('a', 'b', 'c', 'd', 'e', 'f'),
        },
        'm/toomany',
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
    const badPattern = await errorOf(
      create(
        { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: wildcard('a/b') },
        'm/pattern',
      ),
    );
    expect(badPattern.name).toBe('ValidationException');
    expect(badPattern.message).toContain('imageTagMutabilityExclusionFilters.1.member.filter');
    const badType = await errorOf(
      create(
        {
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filterType: 'REGEX' as 'WILDCARD', filter: 'x' }],
        },
        'm/type',
      ),
    );
    expect(badType.name).toBe('ValidationException');
    expect(emulator.ecr.repositories.has('m/missing')).toBe(false);
  });

  test('DescribeRepositories returns the setting with its filters', async () => {
    await create(
      { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: wildcard('latest', '*.*') },
      'm/described',
    );
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['m/described'] }));
    expect(described.repositories?.[0]).toMatchObject({
      repositoryUri: `${front.host}/m/described`,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: wildcard('latest', '*.*'),
    });
  });
});

describe('an immutable tag cannot move', () => {
  test('wildcards match the whole tag, * any run of characters', () => {
    expect(wildcardMatches('latest', 'latest')).toBe(true);
    expect(wildcardMatches('latest', 'latest2')).toBe(false);
    expect(wildcardMatches('*.*', '0.3')).toBe(true);
    expect(wildcardMatches('*.*', '0.3.13')).toBe(true);
    expect(wildcardMatches('*.*', 'latest')).toBe(false);
    expect(wildcardMatches('a*a', 'a')).toBe(false);
    expect(wildcardMatches('a*a', 'aa')).toBe(true);
  });

  test('PutImage: ImageTagAlreadyExistsException unless the tag is excluded', async () => {
    const repository = emulator.ecr.addRepository('m/putimage', {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusions: ['latest'],
    });
    await pushImage(direct, repository.registryPath, { layers: [pseudoRandomBytes(100, 1)] }, '1.0.0');
    await pushImage(direct, repository.registryPath, { layers: [pseudoRandomBytes(100, 1)] }, 'latest');
    const next = await pushImage(direct, repository.registryPath, { layers: [pseudoRandomBytes(100, 2)] });
    const put = (imageTag: string) =>
      ecr.send(
        new PutImageCommand({ repositoryName: 'm/putimage', imageManifest: next.bytes.toString('utf8'), imageTag }),
      );
    const moved = await errorOf(put('1.0.0'));
    expect(moved.name).toBe('ImageTagAlreadyExistsException');
    expect(moved.message).toBe(
      "The image tag '1.0.0' already exists in the 'm/putimage' repository and cannot be overwritten because the tag is immutable.",
    );
    await expect(put('latest')).resolves.toBeDefined();
    await expect(put('1.0.1')).resolves.toBeDefined();
  });

  test('the registry API answers a manifest PUT that would move an immutable tag with 400 TAG_INVALID', async () => {
    const repository = emulator.ecr.addRepository('m/registry', {
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      exclusions: ['*.*.*'],
    });
    const first = await pushImage(viaFront, repository.registryPath, { layers: [pseudoRandomBytes(100, 3)] }, '1.0.0');
    const second = await pushImage(viaFront, repository.registryPath, { layers: [pseudoRandomBytes(100, 4)] });
    const putTag = (tag: string) =>
      fetch(`${front.url}/v2/m/registry/manifests/${tag}`, {
        method: 'PUT',
        headers: { authorization: registry.authorization ?? '', 'content-type': second.mediaType },
        body: second.bytes,
      });
    const refused = await putTag('1.0.0');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      errors: [
        {
          code: 'TAG_INVALID',
          message:
            "The image tag '1.0.0' already exists in the 'm/registry' repository and cannot be overwritten because the tag is immutable.",
        },
      ],
    });
    expect(await emulator.ecr.images.tagDigest('m/registry', '1.0.0')).toBe(first.digest);
    // The same digest again, a new immutable tag, and a mutable tag all go through.
    const again = await fetch(`${front.url}/v2/m/registry/manifests/1.0.0`, {
      method: 'PUT',
      headers: { authorization: registry.authorization ?? '', 'content-type': first.mediaType },
      body: first.bytes,
    });
    expect(again.status).toBe(201);
    expect((await putTag('1.0.1')).status).toBe(201);
    expect((await putTag('latest')).status).toBe(201);
    expect((await putTag('latest')).status).toBe(201);
    const unauthenticated = await fetch(`${front.url}/v2/m/registry/manifests/1.0.0`, {
      method: 'PUT',
      headers: { 'content-type': second.mediaType },
      body: second.bytes,
    });
    expect(unauthenticated.status).toBe(401);
    expect(front.received.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).length).toBe(8);
  });
});
