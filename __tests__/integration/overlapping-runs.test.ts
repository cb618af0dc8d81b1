/** Two publish() runs of different versions at once, one with a slow source: `latest` ends at the higher version. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inputs } from '../../src/inputs.js';
import { publish } from '../../src/publish/publish.js';
import type { PublishReport } from '../../src/publish/report.js';
import { startProxy, type Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type World } from '../../testbed/world.js';
import { inputsFor } from '../fixtures/inputs.js';
import { capturingLogger, testRuntime } from '../support/runtime.js';
import { fakeGitHub } from '../support/github-bridge.js';

const ALIAS = 'paketo-buildpacks';
const VERSIONS = ['1.2.0', '1.2.3', '1.2.4'] as const;

describe('overlapping runs never move a moving tag backwards', () => {
  let world: World;
  let slowSource: Proxy;
  let tempDir: string;
  const digests: Record<string, string> = {};
  const savedEnv: Record<string, string | undefined> = {};

  const run = (source: string, version: string, repository: string): Promise<PublishReport> => {
    const inputs: Inputs = inputsFor([`${source}/org/${repository}:${version}`], {
      publicRegistryAlias: ALIAS,
      roleToAssume: world.aws.roleArn,
      awsRegion: 'eu-west-1',
      tags: ['{{tag}}', '{{major}}.{{minor}}', 'latest'],
    });
    return publish(inputs, { runtime: testRuntime(capturingLogger()), github: fakeGitHub(world.aws.env()), tempDir });
  };
  const digestAt = async (repository: string, tag: string): Promise<string> => {
    const creds = { username: 'AWS', password: world.publicRegistry.password };
    return (await skopeoRaw(`${world.publicRegistry.host}/${ALIAS}/${repository}:${tag}`, creds)).digest;
  };

  beforeAll(async () => {
    world = await startWorld();
    // Each version has its own layers, so the slow source has real bytes to drip.
    for (const [index, version] of VERSIONS.entries()) {
      const layers = [pseudoRandomBytes(512 * 1024, index + 1), pseudoRandomBytes(256 * 1024, index + 11)];
      for (const repository of ['app-0', 'app-1', 'app-2', 'app-3']) {
        digests[version] = (
          await pushImage({ url: world.source.url }, `org/${repository}`, { layers }, version)
        ).digest;
      }
    }
    slowSource = await startProxy({ target: world.source.url, latencyMs: 40, bytesPerSecond: 1024 * 1024 });
    tempDir = mkdtempSync(join(tmpdir(), 'overlap-test-'));
    for (const [name, value] of Object.entries(world.aws.env())) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
  }, 120_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await slowSource?.close();
    await world?.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  });

  // Seed n: the fast run of the higher version starts n × 150 ms after the slow run of the lower one.
  it.each([0, 1, 2, 3])(
    'seed %i: the slow older run finishing last leaves latest and 1.2 on 1.2.4',
    async (seed) => {
      const repository = `app-${seed}`;
      await run(world.source.host, '1.2.0', repository);
      const slow = run(slowSource.host, '1.2.3', repository);
      await new Promise((resolve) => setTimeout(resolve, seed * 150));
      const fast = await run(world.source.host, '1.2.4', repository);
      const older = await slow;

      expect(fast.images[0]!.tags).toEqual(['1.2.4', '1.2', 'latest']);
      expect(older.images[0]!.tags).toContain('1.2.3');
      expect(await digestAt(repository, 'latest')).toBe(digests['1.2.4']);
      expect(await digestAt(repository, '1.2')).toBe(digests['1.2.4']);
      expect(await digestAt(repository, '1.2.3')).toBe(digests['1.2.3']);
      expect(await digestAt(repository, '1.2.0')).toBe(digests['1.2.0']);
    },
    60_000,
  );
});
