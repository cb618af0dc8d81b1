/** publish() in-process against the local world: hub front, real registries and the AWS emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inputs } from '../../src/inputs.js';
import { publish } from '../../src/publish/publish.js';
import type { PublishedImage, PublishReport } from '../../src/publish/report.js';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { skopeoConfig, skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type World } from '../../testbed/world.js';
import { inputsFor } from '../fixtures/inputs.js';
import { fakeGitHub, type FakeGitHub } from '../support/github-bridge.js';
import { capturingLogger, testRuntime, type CapturingLogger } from '../support/runtime.js';

const ALIAS = 'paketo-buildpacks';
const BUILDER_LABEL = 'io.buildpacks.builder.metadata';

describe('publish() in-process: a release to ECR Public and private ECR', () => {
  let world: World;
  let release: PaketoRelease;
  let tempDir: string;
  const savedEnv: Record<string, string | undefined> = {};
  let github: FakeGitHub;
  let logger: CapturingLogger;
  let first: PublishReport;

  const run = (inputs: Inputs): Promise<PublishReport> => {
    logger = capturingLogger();
    github = fakeGitHub(world.aws.env());
    return publish(inputs, { runtime: testRuntime(logger), github, tempDir });
  };
  const publicInputs = (): Inputs =>
    inputsFor([release.references.builder, release.references.runImage], {
      publicRegistryAlias: ALIAS,
      roleToAssume: world.aws.roleArn,
      awsRegion: 'eu-west-1',
    });
  const imageNamed = (report: PublishReport, name: string): PublishedImage => {
    const found = report.images.find((image) => image.repository.endsWith(`/${name}`));
    if (found === undefined) throw new Error(`no ${name} in ${report.images.map((i) => i.repository).join(', ')}`);
    return found;
  };
  const publicCreds = () => ({ username: 'AWS', password: world.publicRegistry.password });

  beforeAll(async () => {
    world = await startWorld();
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    tempDir = mkdtempSync(join(tmpdir(), 'publish-test-'));
    // The SDK clients find the emulator through AWS_ENDPOINT_URL_*, as in the e2e runs.
    for (const [name, value] of Object.entries(world.aws.env())) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    first = await run(publicInputs());
  }, 180_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await world?.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  });

  it('reports the run image copied digest-preserved and the builder mutated', () => {
    expect(first.dryRun).toBe(false);
    expect(first.registry).toBe(`${world.publicRegistry.host}/${ALIAS}`);
    const names = first.images.map((image) => image.repository.split('/').pop());
    expect(names.sort()).toEqual(['builder-jammy-base', 'run-jammy-base']);
    const runImage = imageNamed(first, 'run-jammy-base');
    expect(runImage).toMatchObject({
      repository: `${world.publicRegistry.host}/${ALIAS}/run-jammy-base`,
      sourceDigest: release.digests['run-jammy-base'],
      digest: release.digests['run-jammy-base'],
      tags: ['0.1.2', 'latest'],
      kind: 'stack-image',
      mutated: false,
      upToDate: false,
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(runImage.bytesUploaded).toBeGreaterThan(0);
    const builder = imageNamed(first, 'builder-jammy-base');
    expect(builder).toMatchObject({
      sourceDigest: release.digests['builder-jammy-base'],
      tags: ['0.3.13', 'latest'],
      kind: 'builder',
      mutated: true,
    });
    expect(builder.digest).not.toBe(builder.sourceDigest);
    expect(first.gates).toEqual([]);
    expect(first.gateFailed).toBe(false);
    expect(first.warnings).toEqual([]);
  });

  it('adds the ECR Public copy of the run image as a mirror on every builder platform', async () => {
    const mirror = `${world.publicRegistry.host}/${ALIAS}/run-jammy-base:latest`;
    const builder = imageNamed(first, 'builder-jammy-base');
    expect(builder.mirror?.runImages.map((r) => r.copy)).toEqual([mirror]);
    expect(builder.mirror?.platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    for (const platform of builder.mirror?.platforms ?? [])
      expect(platform.after.map((r) => r.mirrors)).toEqual([[mirror]]);
    // Read back independently: the published builder's label names the mirror.
    const config = await skopeoConfig(`${world.publicRegistry.host}/${ALIAS}/builder-jammy-base:0.3.13`, publicCreds());
    type BuilderMetadata = { stack?: { runImage?: { mirrors?: string[] } } };
    const label = JSON.parse(config.config?.Labels?.[BUILDER_LABEL] ?? '{}') as BuilderMetadata;
    expect(label.stack?.runImage?.mirrors).toEqual([mirror]);
  });

  it('wrote every tag at the reported digest (checked with skopeo)', async () => {
    for (const image of first.images) {
      for (const tag of image.tags) {
        expect((await skopeoRaw(`${image.repository}:${tag}`, publicCreds())).digest).toBe(image.digest);
      }
    }
  });

  it('logged in through OIDC and STS, masked secrets and kept to the documented IAM policy', () => {
    expect(world.aws.calls.some((c) => c.service === 'sts' && c.operation === 'AssumeRoleWithWebIdentity')).toBe(true);
    expect(world.aws.calls.filter((c) => !c.allowed)).toEqual([]);
    expect(first.logins.map((login) => login.password)).toEqual([world.publicRegistry.password]);
    expect(github.secrets).toContain(world.publicRegistry.password);
    // Bearer tokens the source's front hands out are masked as soon as they arrive.
    expect(world.hub.tokensIssued).toBeGreaterThan(0);
    expect(github.secrets.filter((secret) => /^[0-9a-f]{32}$/.test(secret)).length).toBe(world.hub.tokensIssued);
    expect(logger.text()).not.toContain(world.publicRegistry.password!);
    expect(github.groups).toEqual(expect.arrayContaining(['AWS credentials', 'Repositories', 'Resolve']));
  });

  it('re-runs up to date: same digests, nothing uploaded', async () => {
    const again = await run(publicInputs());
    expect(again.images).toHaveLength(first.images.length);
    // The run image's tags already hold its source digest; the builder's hold its mutated one, so it is re-checked.
    expect(imageNamed(again, 'run-jammy-base').upToDate).toBe(true);
    for (const image of again.images) {
      expect(image.bytesUploaded).toBe(0);
      expect(image.digest).toBe(imageNamed(first, image.repository.split('/').pop()!).digest);
    }
  });

  it('leaves no spool behind, after a success and after a failure', async () => {
    const spools = () => readdirSync(tempDir).filter((name) => name.startsWith('ecr-publish-spool-'));
    expect(spools()).toEqual([]);
    const missing = release.references.runImage.replace(/:[^:/]+$/, ':0.0.0-missing');
    const failing = inputsFor([release.references.builder, missing], {
      publicRegistryAlias: ALIAS,
      roleToAssume: world.aws.roleArn,
      awsRegion: 'eu-west-1',
    });
    await expect(run(failing)).rejects.toThrow(/0\.0\.0-missing not found/);
    expect(spools()).toEqual([]);
  });

  it('publishes to private ECR under a prefix with templated tags', async () => {
    const report = await run(
      inputsFor([release.references.runImage], {
        registryType: 'private',
        awsRegion: world.aws.region,
        roleToAssume: world.aws.roleArn,
        repositoryPrefix: 'buildpacks/',
        tags: ['{{tag}}', '{{major}}.{{minor}}'],
      }),
    );
    expect(report.registry).toBe(world.privateRegistry.host);
    expect(report.images).toHaveLength(1);
    expect(report.images[0]).toMatchObject({
      repository: `${world.privateRegistry.host}/buildpacks/run-jammy-base`,
      digest: release.digests['run-jammy-base'],
      tags: ['0.1.2', '0.1'],
    });
    expect(world.aws.ecr.repositories.get('buildpacks/run-jammy-base')?.scanOnPush).toBe(true);
    const creds = { username: 'AWS', password: world.privateRegistry.password };
    for (const tag of ['0.1.2', '0.1']) {
      const read = await skopeoRaw(`${world.privateRegistry.host}/buildpacks/run-jammy-base:${tag}`, creds);
      expect(read.digest).toBe(release.digests['run-jammy-base']);
    }
    expect(github.secrets).toContain(world.privateRegistry.password);
  });
});
