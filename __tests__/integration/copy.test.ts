import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { copyImage, type CopyOptions } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { connectRegistry, type RegistryClient } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { startDockerHubFront, type DockerHubFront } from '../../testbed/docker-hub-front.js';
import { startProxy, type Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage, pushIndex, sha256, type PushedManifest } from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { capturingLogger, testRuntime } from '../support/runtime.js';
import { skopeoDigestOrNull, skopeoRaw } from '../../testbed/skopeo.js';

const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 };

describe('digest-preserving copy between real registries', () => {
  let sourceRegistry: LocalRegistry;
  let hub: DockerHubFront;
  let corruptHub: DockerHubFront;
  let destRegistry: LocalRegistry;
  let destDoor: Proxy;
  let source: RegistryClient;
  let dest: RegistryClient;
  let spool: BlobSpool;
  const logger = capturingLogger();
  const runtime = testRuntime(logger);
  const locations = new BlobLocations();
  const seeded: Record<string, PushedManifest> = {};
  let bigLayerDigest = '';
  const creds = () => ({ username: destRegistry.username, password: destRegistry.password });

  beforeAll(async () => {
    sourceRegistry = await startRegistry();
    hub = await startDockerHubFront({ registryUrl: sourceRegistry.url });
    destRegistry = await startRegistry({ auth: true });
    destDoor = await startProxy({ target: destRegistry.url });
    const target = { url: sourceRegistry.url };

    seeded.dockerV2 = await pushImage(
      target,
      'lib/docker-v2',
      { family: 'docker', layers: [pseudoRandomBytes(3000, 1), pseudoRandomBytes(70_000, 2)] },
      '1.0.0',
    );
    const amd = await pushImage(target, 'lib/docker-list', { family: 'docker', layers: [pseudoRandomBytes(5000, 3)] });
    const arm = await pushImage(target, 'lib/docker-list', {
      family: 'docker',
      architecture: 'arm64',
      layers: [pseudoRandomBytes(5000, 4)],
    });
    seeded.dockerList = await pushIndex(
      target,
      'lib/docker-list',
      [
        { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
        { manifest: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
      { family: 'docker', tag: '2.0.0' },
    );

    const big = pseudoRandomBytes(13 * 1024 * 1024 + 17, 5);
    bigLayerDigest = sha256(big);
    const ociAmd = await pushImage(target, 'lib/oci-index', { layers: [big, pseudoRandomBytes(1000, 6)] });
    const ociArm = await pushImage(target, 'lib/oci-index', {
      architecture: 'arm64',
      layers: [pseudoRandomBytes(2000, 7), pseudoRandomBytes(1000, 6)],
    });
    const attestation = await pushImage(target, 'lib/oci-index', {
      layers: [Buffer.from('{"predicateType":"https://slsa.dev/provenance/v1"}')],
      architecture: 'unknown',
      os: 'unknown',
    });
    seeded.ociIndex = await pushIndex(
      target,
      'lib/oci-index',
      [
        { manifest: ociAmd, platform: { os: 'linux', architecture: 'amd64' } },
        { manifest: ociArm, platform: { os: 'linux', architecture: 'arm64' } },
        {
          manifest: attestation,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': ociAmd.digest,
          },
        },
      ],
      { tag: '3.0.0' },
    );

    seeded.foreign = await pushImage(
      target,
      'lib/foreign',
      {
        family: 'docker',
        layers: [pseudoRandomBytes(4000, 8)],
        foreignLayers: [
          { size: 123456, digest: sha256(Buffer.from('not here')), url: 'https://example.invalid/layer.tar.gz' },
        ],
      },
      'ltsc',
    );
    seeded.byDigest = await pushImage(target, 'lib/by-digest', { layers: [pseudoRandomBytes(6000, 9)] });

    corruptHub = await startDockerHubFront({
      registryUrl: sourceRegistry.url,
      fault: (method, path) =>
        method === 'GET' && path.includes('/lib/corrupt/blobs/') ? { kind: 'flip', atByte: 100 } : undefined,
    });
    seeded.corrupt = await pushImage(target, 'lib/corrupt', { layers: [pseudoRandomBytes(8000, 10)] }, 'bad');

    source = connectRegistry(hub.host, { runtime, retry });
    dest = connectRegistry(destDoor.host, {
      runtime,
      retry,
      credentials: { username: 'AWS', password: destRegistry.password! },
    });
    spool = await BlobSpool.create(tmpdir());
  });

  afterAll(async () => {
    await spool?.cleanup();
    await hub?.close();
    await corruptHub?.close();
    await destDoor?.close();
    await sourceRegistry?.stop();
    await destRegistry?.stop();
  });

  const options = (): CopyOptions => ({ runtime, spool, locations, concurrency: 4 });
  const expectSameDigest = async (repository: string, tag: string, expected: string) => {
    const read = await skopeoRaw(`${destRegistry.host}/${repository}:${tag}`, creds());
    expect(read.digest).toBe(expected);
  };

  it.each([
    ['a Docker v2 manifest', 'lib/docker-v2', '1.0.0', 'dockerV2'],
    ['a Docker manifest list', 'lib/docker-list', '2.0.0', 'dockerList'],
    ['an OCI index with an attestation manifest and a 13 MiB layer', 'lib/oci-index', '3.0.0', 'ociIndex'],
  ])('copies %s byte-exactly', async (_what, repository, tag, key) => {
    const started = Date.now();
    const result = await copyImage(
      { client: source, repository },
      tag,
      { client: dest, repository: `copy/${repository}`, tags: [tag, 'latest'] },
      options(),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(result.digest).toBe(seeded[key]!.digest);
    await expectSameDigest(`copy/${repository}`, tag, seeded[key]!.digest);
    await expectSameDigest(`copy/${repository}`, 'latest', seeded[key]!.digest);
    if (key === 'ociIndex') {
      expect(result.stats.bytesUploaded).toBeGreaterThan(13 * 1024 * 1024);
      logger.info(`throughput: ${(result.stats.bytesUploaded / 1024 / 1024 / seconds).toFixed(1)} MiB/s`);
      const child = await skopeoRaw(
        `${destRegistry.host}/copy/${repository}@${JSON.parse(seeded[key]!.bytes.toString()).manifests[2].digest}`,
        creds(),
      );
      expect(JSON.parse(child.bytes.toString()).config.digest).toBeDefined();
    }
  });

  it('never sends credentials to the blob host a Docker-Hub-like front redirects to', () => {
    expect(hub.cdn.exchanges.length).toBeGreaterThan(0);
    expect(hub.authorizationLeaks).toBe(0);
  });

  it('copies a source given by digest', async () => {
    const digest = seeded.byDigest!.digest;
    const result = await copyImage(
      { client: source, repository: 'lib/by-digest' },
      digest,
      { client: dest, repository: 'copy/by-digest', tags: ['pinned'] },
      options(),
    );
    expect(result.digest).toBe(digest);
    await expectSameDigest('copy/by-digest', 'pinned', digest);
  });

  it('does not copy foreign layers, tells the user, and keeps the digest', async () => {
    const result = await copyImage(
      { client: source, repository: 'lib/foreign' },
      'ltsc',
      { client: dest, repository: 'copy/foreign', tags: ['ltsc'] },
      options(),
    );
    expect(result.stats.foreignLayers).toHaveLength(1);
    expect(logger.text()).toMatch(/foreign layer sha256:[a-f0-9]{64} \(123456 bytes\) is not copied/);
    await expectSameDigest('copy/foreign', 'ltsc', seeded.foreign!.digest);
  });

  it('moves zero blob bytes on a re-run, counted at the destination registry', async () => {
    destDoor.reset();
    for (const [repository, tag] of [
      ['lib/docker-v2', '1.0.0'],
      ['lib/docker-list', '2.0.0'],
      ['lib/oci-index', '3.0.0'],
    ] as const) {
      const result = await copyImage(
        { client: source, repository },
        tag,
        { client: dest, repository: `copy/${repository}`, tags: [tag, 'latest'] },
        options(),
      );
      expect(result.upToDate).toBe(true);
    }
    expect(destDoor.uploadedBytes()).toBe(0);
    expect(destDoor.countBy('PUT')).toBe(0);
    expect(destDoor.countBy('PATCH')).toBe(0);
    expect(destDoor.countBy('HEAD', /\/manifests\//)).toBe(6);
  });

  it('mounts blobs from another repository of the same registry instead of uploading', async () => {
    destDoor.reset();
    const result = await copyImage(
      { client: source, repository: 'lib/oci-index' },
      '3.0.0',
      { client: dest, repository: 'other/oci-index', tags: ['3.0.0'] },
      options(),
    );
    expect(result.stats.bytesMounted).toBeGreaterThan(13 * 1024 * 1024);
    expect(result.stats.bytesUploaded).toBe(0);
    expect(destDoor.uploadedBytes()).toBe(0);
    await expectSameDigest('other/oci-index', '3.0.0', seeded.ociIndex!.digest);
    expect(bigLayerDigest).toMatch(/^sha256:/);
  });

  it('fails clearly on corrupted source bytes and leaves no destination tag', async () => {
    const corruptSource = connectRegistry(corruptHub.host, { runtime, retry });
    await expect(
      copyImage(
        { client: corruptSource, repository: 'lib/corrupt' },
        'bad',
        { client: dest, repository: 'copy/corrupt', tags: ['bad'] },
        options(),
      ),
    ).rejects.toThrow(/content digest sha256:[a-f0-9]{64} does not match the expected sha256:/);
    expect(await skopeoDigestOrNull(`${destRegistry.host}/copy/corrupt:bad`, creds())).toBeNull();
  });
});
