// public-retention against the AWS emulator: deletion by tag survives a tag another run adds meanwhile.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BatchDeleteImageCommand, ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { applyRetention } from '../../src/aws/retention/apply.js';
import { listPublicImages } from '../../src/aws/retention/ecr-public.js';
import { indexDigestsOf, planRetention } from '../../src/aws/retention/plan.js';
import { indexChildDigests } from '../../src/oci/media-types.js';
import { startAwsEmulator, type AwsEmulator } from '../../testbed/aws-emulator.js';
import { pseudoRandomBytes, pushImage, pushIndex, type Target } from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';

const KEY = { accessKeyId: 'AKIARETENTIONTEST001', secretAccessKey: 'retention-secret-key-0123456789' };
let registry: LocalRegistry;
let emulator: AwsEmulator;
let client: ECRPUBLICClient;
let target: Target;

beforeAll(async () => {
  registry = await startRegistry({ auth: true });
  target = { url: registry.url, authorization: registry.authorization };
  const backend = { host: registry.host, username: registry.username ?? '', password: registry.password ?? '' };
  emulator = await startAwsEmulator({ registries: { public: backend }, staticCredentials: [KEY] });
  client = new ECRPUBLICClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: KEY, maxAttempts: 1 });
});

afterAll(async () => {
  await emulator?.close();
  await registry?.stop();
});

/** A two-platform index tagged `version` in `alias/name`. */
async function seedVersion(path: string, version: string, seed: number) {
  const amd = await pushImage(target, path, { layers: [pseudoRandomBytes(500, seed)] });
  const arm = await pushImage(target, path, { architecture: 'arm64', layers: [pseudoRandomBytes(500, seed + 1)] });
  const entries = [
    { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { manifest: arm, platform: { os: 'linux', architecture: 'arm64' } },
  ];
  const index = await pushIndex(target, path, entries, { tag: version });
  return { index: index.digest, children: [amd.digest, arm.digest] };
}

async function retain(name: string, keep: number) {
  const path = `paketo-buildpacks/${name}`;
  const images = await listPublicImages(client, name);
  const readChildren = async (digest: string) =>
    indexChildDigests((await emulator.ecrPublic.images.registry.getManifest(path, digest))!.bytes);
  const childDigests = new Map<string, readonly string[]>();
  for (const digest of indexDigestsOf(images)) childDigests.set(digest, await readChildren(digest));
  const plan = planRetention({ images, childDigests, keep });
  return { plan, result: await applyRetention(client, name, plan, { dryRun: false, childDigests, readChildren }) };
}

describe('ECR Public BatchDeleteImage in the emulator', () => {
  it('removes one tag per tag id, the image with its last tag, everything with a digest id, and fails unknown ids', async () => {
    emulator.ecrPublic.addRepository('semantics');
    const path = 'paketo-buildpacks/semantics';
    const one = await seedVersion(path, '1.0.0', 10);
    const two = await seedVersion(path, '2.0.0', 20);
    const bytes = (await emulator.ecrPublic.images.registry.getManifest(path, '2.0.0'))!;
    await emulator.ecrPublic.images.registry.putManifest(path, 'latest', bytes.bytes, bytes.mediaType);
    const send = (imageIds: { imageTag?: string; imageDigest?: string }[]) =>
      client.send(new BatchDeleteImageCommand({ repositoryName: 'semantics', imageIds }));

    expect((await send([{ imageTag: '2.0.0' }])).failures).toEqual([]);
    const tagsOf = async (digest: string) =>
      (await listPublicImages(client, 'semantics')).find((image) => image.imageDigest === digest)?.imageTags;
    expect(await tagsOf(two.index)).toEqual(['latest']);
    // A child of a tagged index cannot go by digest; once its index is gone it is an untagged image of its own.
    expect((await send([{ imageDigest: one.children[0]! }])).failures?.[0]?.failureCode).toBe(
      'ImageReferencedByManifestList',
    );
    await send([{ imageTag: '1.0.0' }]);
    expect(await tagsOf(one.index)).toBeUndefined();
    expect(await tagsOf(one.children[0]!)).toEqual([]);
    await send([{ imageDigest: two.index }]);
    expect(await tagsOf(two.index)).toBeUndefined();
    const unknown = await send([{ imageTag: 'never' }, { imageDigest: `sha256:${'0'.repeat(64)}` }]);
    expect(unknown.failures?.map((failure) => failure.failureCode)).toEqual(['ImageNotFound', 'ImageNotFound']);
  });
});

describe('applyRetention across overlapping runs', () => {
  it('keeps a tag that another run adds onto a to-be-deleted image between listing and deleting, and its children', async () => {
    emulator.ecrPublic.addRepository('race');
    const path = 'paketo-buildpacks/race';
    const old = await seedVersion(path, '1.0.0', 30);
    const other = await seedVersion(path, '1.1.0', 40);
    await seedVersion(path, '2.0.0', 50);
    // Another run tags 1.0.0's image `stable` after this run listed the repository.
    emulator.ecrPublic.beforeNext('BatchDeleteImage', async () => {
      const manifest = (await emulator.ecrPublic.images.registry.getManifest(path, '1.0.0'))!;
      await emulator.ecrPublic.images.registry.putManifest(path, 'stable', manifest.bytes, manifest.mediaType);
    });
    const { plan, result } = await retain('race', 1);
    expect(plan.delete.map((entry) => entry.imageDigest)).toContain(old.index);

    const after = new Map(
      (await listPublicImages(client, 'race')).map((image) => [image.imageDigest, image.imageTags]),
    );
    expect(after.get(old.index)).toEqual(['stable']);
    for (const child of old.children) expect(after.get(child)).toEqual([]);
    expect(result.skipped).toEqual(expect.arrayContaining([old.index, ...old.children]));
    expect(result.deleted).not.toContain(old.index);
    // The version nobody touched went, with its children.
    for (const digest of [other.index, ...other.children]) expect(after.has(digest)).toBe(false);
    expect(result.deleted.sort()).toEqual([other.index, ...other.children].sort());
  });
});
