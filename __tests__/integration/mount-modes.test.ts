// Destinations that mount as ECR Public, private ECR (BLOB_MOUNTING) and the OCI spec do, and the engine's mounts against each.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { copyImage, type CopyOptions } from '../../src/oci/copy.js';
import { connectRegistry } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { startProxy, type Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage, sha256 } from '../../testbed/images.js';
import { mountModeOptions, type MountMode } from '../../testbed/mount-modes.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { testRuntime } from '../support/runtime.js';

const shared = pseudoRandomBytes(300_000, 71);
const SHARED = sha256(shared);

describe('destination mount modes', () => {
  let source: LocalRegistry;
  const runtime = testRuntime();
  let spool: BlobSpool;
  const started: { registry: LocalRegistry; proxy: Proxy }[] = [];

  beforeAll(async () => {
    source = await startRegistry();
    for (const [name, seed] of [
      ['a', 72],
      ['b', 73],
      ['c', 74],
    ] as const)
      await pushImage({ url: source.url }, `lib/${name}`, { layers: [shared, pseudoRandomBytes(5000, seed)] }, '1');
    spool = await BlobSpool.create(tmpdir());
  });

  afterAll(async () => {
    await spool.cleanup();
    for (const { registry, proxy } of started) {
      await proxy.close();
      await registry.stop();
    }
    await source.stop();
  });

  async function destination(mode: MountMode) {
    const registry = await startRegistry({ auth: true });
    const proxy = await startProxy({ target: registry.url, ...mountModeOptions(mode) });
    started.push({ registry, proxy });
    const client = connectRegistry(proxy.host, {
      runtime,
      credentials: { username: registry.username!, password: registry.password! },
    });
    return { proxy, client };
  }

  const mounts = (proxy: Proxy, status?: number) =>
    proxy.exchanges.filter((e) => e.method === 'POST' && e.path.includes('mount=') && (status ?? e.status) === e.status)
      .length;

  /** Copies lib/a, lib/b and lib/c one after another, with one run's BlobLocations. */
  async function release(mode: MountMode) {
    const { proxy, client } = await destination(mode);
    const from = connectRegistry(source.host, { runtime });
    const options: CopyOptions = { runtime, spool, locations: new BlobLocations(), concurrency: 4 };
    const copy = (name: string) =>
      copyImage({ client: from, repository: `lib/${name}` }, '1', { client, repository: name, tags: ['1'] }, options);
    for (const name of ['a', 'b', 'c']) await copy(name);
    return { proxy, locations: options.locations, registry: client.registry };
  }

  it('the front refuses or grants a mount as each destination would', async () => {
    for (const [mode, presentOnly, referenced] of [
      ['none', 202, 202],
      ['ecr', 202, 201],
      ['spec', 201, 201],
    ] as const) {
      const { proxy, client } = await destination(mode);
      const from = connectRegistry(source.host, { runtime });
      const blob = { digest: SHARED, size: shared.length };
      await client.uploadBlob('one', blob, () => shared);
      const ask = () => client.mountBlob('two', SHARED, 'one');
      expect((await ask()).mounted).toBe(presentOnly === 201);
      // Now a manifest in `one` references the blob.
      await copyImage(
        { client: from, repository: 'lib/a' },
        '1',
        { client, repository: 'one', tags: ['1'] },
        {
          runtime,
          spool,
          locations: new BlobLocations(),
          concurrency: 2,
        },
      );
      expect((await client.mountBlob('three', SHARED, 'one')).mounted).toBe(referenced === 201);
      expect(mounts(proxy, presentOnly) + mounts(proxy, referenced)).toBeGreaterThanOrEqual(2);
    }
  });

  it('against a destination that never mounts, one refusal of a referenced blob ends the mount attempts', async () => {
    const { proxy, locations, registry } = await release('none');
    expect(mounts(proxy, 201)).toBe(0);
    expect(mounts(proxy)).toBe(1);
    expect(locations.rule(registry)).toBe('never');
  });

  it("under ECR's rule, blobs are mounted from a repository whose manifest references them", async () => {
    const { proxy, locations, registry } = await release('ecr');
    expect(mounts(proxy, 201)).toBe(2);
    expect(mounts(proxy, 202)).toBe(0);
    expect(locations.rule(registry)).toBe('spec');
  });

  it('under the spec rule, the shared blob is uploaded once and mounted everywhere else', async () => {
    const { proxy } = await release('spec');
    expect(mounts(proxy, 201)).toBe(2);
    const uploads = proxy.exchanges.filter((e) => e.method === 'PUT' && e.path.includes(SHARED.replace(':', '%3A')));
    expect(uploads).toHaveLength(1);
  });
});
