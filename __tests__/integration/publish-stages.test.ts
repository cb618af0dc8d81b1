// Stages order manifests and tags only: a builder's blobs go up while the run images are still being written.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish } from '../../src/publish/publish.js';
import type { Exchange } from '../../testbed/http-proxy.js';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { startWorld, type World } from '../../testbed/world.js';
import { inputsFor } from '../fixtures/inputs.js';
import { testRuntime } from '../support/runtime.js';
import { fakeGitHub } from '../support/github-bridge.js';

describe('publish stages', () => {
  let world: World;
  let release: PaketoRelease;
  let tempDir: string;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    world = await startWorld({ doors: true });
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    tempDir = mkdtempSync(join(tmpdir(), 'publish-stages-'));
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
    await world?.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  });

  it("starts the builder's blobs with the run image's, and writes its tag only after every earlier stage's", async () => {
    const { runImage, buildpacks, builder } = release.references;
    const inputs = inputsFor([runImage, ...buildpacks, builder], {
      registryType: 'private',
      awsRegion: world.aws.region,
      roleToAssume: world.aws.roleArn,
      repositoryPrefix: 'stages/',
      runImageMirror: false,
      referrers: false,
    });
    const door = world.doors!.private;
    door.reset();
    const report = await publish(inputs, { runtime: testRuntime(), github: fakeGitHub(world.aws.env()), tempDir });
    expect(report.images).toHaveLength(2 + buildpacks.length);

    const name = (reference: string) => reference.split('/').pop()!.split(':')[0]!;
    const into = (reference: string) => (e: Exchange) => e.path.startsWith(`/v2/stages/${name(reference)}/`);
    const tagPut = (reference: string) =>
      door.exchanges.find((e) => into(reference)(e) && e.method === 'PUT' && /\/manifests\/[^:]+$/.test(e.path))!;
    const firstUpload = (reference: string) =>
      door.exchanges.find((e) => into(reference)(e) && (e.method === 'PATCH' || e.method === 'POST'))!;

    expect(firstUpload(builder).at).toBeLessThan(tagPut(runImage).at);
    for (const buildpack of buildpacks) expect(tagPut(buildpack).at).toBeGreaterThanOrEqual(tagPut(runImage).end);
    for (const buildpack of buildpacks) expect(tagPut(builder).at).toBeGreaterThanOrEqual(tagPut(buildpack).end);
  });
});
