import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

/** `node dist/index.js`, exactly as the runner runs it, publishing a Paketo-style release. */
describe('end to end: a release to ECR Public and to private ECR', () => {
  let world: World;
  let release: PaketoRelease;
  let publicRun: ActionRun;
  const imagesInput = () =>
    [
      '# a Paketo-style release',
      release.references.builder,
      release.references.runImage,
      release.references.buildImage,
      '',
      ...release.references.buildpacks,
    ].join('\n');

  beforeAll(async () => {
    world = await startWorld();
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    publicRun = await world.runAction({
      images: imagesInput(),
      'registry-type': 'public',
      'public-registry-alias': 'paketo-buildpacks',
      'role-to-assume': world.aws.roleArn,
      'aws-region': 'eu-west-1',
    });
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  const publicCreds = () => ({ username: 'AWS', password: world.publicRegistry.password });

  it('succeeds and reports every image in the outputs', () => {
    expect(publicRun.stderr).not.toMatch(/error/i);
    expect(publicRun.printed).not.toMatch(/::error::/);
    expect(publicRun.code).toBe(0);
    const images = JSON.parse(publicRun.outputs.images!) as {
      source: string;
      repository: string;
      digest: string;
      sourceDigest: string;
      tags: string[];
      mutated: boolean;
      platforms: string[];
    }[];
    expect(images.map((i) => i.repository.split('/').pop()).sort()).toEqual([
      'build-jammy-base',
      'builder-jammy-base',
      'node-engine',
      'npm-install',
      'run-jammy-base',
    ]);
    expect(publicRun.outputs.registry).toBe(`${world.publicRegistry.host}/paketo-buildpacks`);
    expect(publicRun.outputs.digest).toBe(images[0]!.digest);
    const runImage = images.find((i) => i.repository.endsWith('/run-jammy-base'))!;
    expect(runImage.tags).toEqual(['0.1.2', 'latest']);
    expect(runImage.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(runImage.mutated).toBe(false);
    expect(runImage.digest).toBe(runImage.sourceDigest);
  });

  it('publishes run and build images and buildpacks digest-preserved (checked with skopeo)', async () => {
    for (const name of ['run-jammy-base', 'build-jammy-base', 'node-engine', 'npm-install']) {
      const tag = name.endsWith('base') ? '0.1.2' : '1.2.3';
      const read = await skopeoRaw(`${world.publicRegistry.host}/paketo-buildpacks/${name}:${tag}`, publicCreds());
      expect(read.digest).toBe(release.digests[name]);
      const latest = await skopeoRaw(`${world.publicRegistry.host}/paketo-buildpacks/${name}:latest`, publicCreds());
      expect(latest.digest).toBe(release.digests[name]);
    }
  });

  it('publishes the builder mutated with the ECR run image as a mirror', async () => {
    const images = JSON.parse(publicRun.outputs.images!) as {
      repository: string;
      digest: string;
      sourceDigest: string;
      mutated: boolean;
    }[];
    const builder = images.find((i) => i.repository.endsWith('/builder-jammy-base'))!;
    expect(builder.mutated).toBe(true);
    expect(builder.sourceDigest).toBe(release.digests['builder-jammy-base']);
    expect(builder.digest).not.toBe(builder.sourceDigest);
    const read = await skopeoRaw(
      `${world.publicRegistry.host}/paketo-buildpacks/builder-jammy-base:0.3.13`,
      publicCreds(),
    );
    expect(read.digest).toBe(builder.digest);
    expect(publicRun.summary).toContain('mutated: run-image mirror');
  });

  it('created the ECR Public repositories through the emulator', () => {
    const created = world.aws.calls.filter(
      (c) => c.service === 'ecr-public' && c.operation === 'CreateRepository' && c.allowed,
    );
    expect(created.map((c) => c.params.repositoryName).sort()).toEqual([
      'build-jammy-base',
      'builder-jammy-base',
      'node-engine',
      'npm-install',
      'run-jammy-base',
    ]);
    expect(world.aws.calls.filter((c) => !c.allowed)).toEqual([]);
    expect(world.aws.calls.some((c) => c.service === 'sts' && c.operation === 'AssumeRoleWithWebIdentity')).toBe(true);
  });

  it('writes a job summary table of what was published, without byte columns that are zero for every image', () => {
    const images = JSON.parse(publicRun.outputs.images!) as { bytesMounted: number; bytesSkipped: number }[];
    const header = /<tr>((?:<th>[^<]*<\/th>)+)<\/tr>/.exec(publicRun.summary)?.[1]?.match(/[^<>]+(?=<\/th>)/g);
    expect(header).toEqual([
      'Source',
      'Source digest',
      'Destination',
      'Digest',
      'Tags',
      'Uploaded',
      ...(images.some((i) => i.bytesMounted > 0) ? ['Mounted'] : []),
      ...(images.some((i) => i.bytesSkipped > 0) ? ['Skipped'] : []),
      'Time',
    ]);
    expect(publicRun.summary).toContain('node-engine');
  });

  it('masks every secret and never prints one', () => {
    // `::add-mask::` lines are commands to the runner, which never shows them.
    const masked = publicRun.printed
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length));
    const shown = publicRun.printed
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    const secrets = world.aws.secrets().filter((s) => s.length >= 8);
    expect(secrets.length).toBeGreaterThan(3);
    const used = secrets.filter((s) => masked.includes(s));
    expect(used.length).toBeGreaterThanOrEqual(4); // OIDC token, secret key, session token, registry password
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it('re-runs as a no-op: same digests, nothing uploaded', async () => {
    const again = await world.runAction({
      images: imagesInput(),
      'registry-type': 'public',
      'public-registry-alias': 'paketo-buildpacks',
      'role-to-assume': world.aws.roleArn,
      'aws-region': 'eu-west-1',
    });
    expect(again.code).toBe(0);
    const before = JSON.parse(publicRun.outputs.images!) as { repository: string; digest: string }[];
    const after = JSON.parse(again.outputs.images!) as { repository: string; digest: string; bytesUploaded: number }[];
    for (const image of after) {
      expect(image.bytesUploaded).toBe(0);
      expect(image.digest).toBe(before.find((b) => b.repository === image.repository)!.digest);
    }
  });

  it('publishes to private ECR with the created repositories configured from the inputs', async () => {
    const run = await world.runAction({
      images: [release.references.runImage, release.references.buildImage].join('\n'),
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      'repository-prefix': 'buildpacks/',
      // A moving tag must be excluded from immutability already on the first release.
      'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION',
      'image-tag-mutability-exclusions': '*.*',
      'lifecycle-policy': JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
            action: { type: 'expire' },
          },
        ],
      }),
      tags: '{{tag}}\n{{major}}.{{minor}}',
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const repo = world.aws.ecr.repositories.get('buildpacks/run-jammy-base');
    expect(repo?.imageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');
    expect(repo?.imageTagMutabilityExclusionFilters).toEqual([{ filterType: 'WILDCARD', filter: '*.*' }]);
    expect(repo?.scanOnPush).toBe(true);
    expect(repo?.lifecyclePolicyText).toContain('sinceImagePushed');
    const read = await skopeoRaw(`${world.privateRegistry.host}/buildpacks/run-jammy-base:0.1`, {
      username: 'AWS',
      password: world.privateRegistry.password,
    });
    expect(read.digest).toBe(release.digests['run-jammy-base']);
    expect(run.outputs.registry).toBe(world.privateRegistry.host);
  });
});
