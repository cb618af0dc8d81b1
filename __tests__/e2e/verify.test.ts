import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pseudoRandomBytes, pushImage, type Target } from '../../testbed/images.js';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { REPO_ROOT } from '../../testbed/world.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

interface Row {
  source: string;
  sourceDigest: string;
  repository: string;
  tag: string;
  status: string;
  digest: string;
  detail: string;
}

const WRITE_OPERATION = /^(Create|Put|Set|Delete|BatchDelete|Tag|Untag|Initiate|Complete|Upload|Start)/;
const policy = (name: string) => readFileSync(join(REPO_ROOT, 'docs', name), 'utf8');

/** `dry-run: verify` through the bundle: reads both sides with the read-only policy, writes nothing, fails when out of step. */
describe('end to end: dry-run verify', () => {
  let world: World;
  let release: PaketoRelease;
  const source = (): Target => ({ url: world.source.url });
  const publicInputs = (images: string[]) => ({
    images: images.join('\n'),
    'registry-type': 'public',
    'public-registry-alias': 'paketo-buildpacks',
    'role-to-assume': world.aws.roleArn,
  });
  const releaseImages = () => [
    release.references.builder,
    release.references.runImage,
    release.references.buildImage,
    ...release.references.buildpacks,
  ];
  const rowsOf = (run: ActionRun) => JSON.parse(run.outputs.images!) as Row[];
  const statusOf = (rows: Row[], repository: string, tag: string) =>
    rows.find((r) => r.repository.endsWith(`/${repository}`) && r.tag === tag);

  /** Runs a verify with the read-only policy, counting every request at both sides and every AWS call. */
  async function verify(inputs: Record<string, string>, policyFile = 'iam-policy-verify-public.json') {
    world.aws.setPermissionsPolicy(policy(policyFile));
    const fronts = [world.doors!.public, world.doors!.private, world.hub.front, world.hub.cdn];
    for (const front of fronts) front.reset();
    const callsBefore = world.aws.calls.length;
    const run = await world.runAction({ ...inputs, 'dry-run': 'verify' });
    world.aws.setPermissionsPolicy(policy('iam-policy.json'));
    const methods = fronts.flatMap((front) => front.received.map((r) => r.method));
    return { run, methods, calls: world.aws.calls.slice(callsBefore) };
  }

  beforeAll(async () => {
    world = await startWorld({ doors: true });
    release = await seedPaketoRelease(source(), world.hub.host);
    const published = await world.runAction(publicInputs(releaseImages()));
    expect(published.code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  it('passes for a release in step, the mirrored builder included, reading only', async () => {
    const { run, methods, calls } = await verify(publicInputs(releaseImages()));
    expect(run.printed).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    const rows = rowsOf(run);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.status === 'up-to-date')).toBe(true);
    expect(statusOf(rows, 'builder-jammy-base', '0.3.13')).toMatchObject({
      sourceDigest: release.digests['builder-jammy-base'],
      detail: 'builder with run-image mirror, made from the source',
    });
    expect(statusOf(rows, 'builder-jammy-base', '0.3.13')!.digest).not.toBe(release.digests['builder-jammy-base']);
    expect(run.summary).toContain('ecr-publish verify: all 10 tag(s) in step with the source');
    expect(new Set(methods)).toEqual(new Set(['GET', 'HEAD']));
    expect(calls.filter((c) => !c.allowed)).toEqual([]);
    expect(calls.filter((c) => WRITE_OPERATION.test(c.operation))).toEqual([]);
  }, 120_000);

  it('reports missing, different digest and moving tag behind, exits non-zero, and writes nothing', async () => {
    // A newer run image, a build image re-released under the same tag, and a tag removed in ECR.
    const org = 'paketobuildpacks';
    const runImage = await pushImage(
      source(),
      `${org}/run-jammy-base`,
      { layers: [pseudoRandomBytes(1000, 901)] },
      '0.1.3',
    );
    await pushImage(source(), `${org}/build-jammy-base`, { layers: [pseudoRandomBytes(1000, 902)] }, '0.1.2');
    // As BatchDeleteImage by tag: `latest` goes, `1.2.3` stays on the same image.
    const removed = await world.aws.ecrPublic.images.delete('paketo-buildpacks/node-engine', { imageTag: 'latest' });
    expect(removed?.imageTag).toBe('latest');
    const yarn = await pushImage(source(), `${org}/yarn-install`, { layers: [pseudoRandomBytes(1000, 903)] }, '2.0.0');

    const images = [
      release.references.builder,
      `${world.hub.host}/${org}/run-jammy-base:0.1.3`,
      release.references.buildImage,
      ...release.references.buildpacks,
      `${world.hub.host}/${org}/yarn-install:2.0.0`,
    ];
    const { run, methods, calls } = await verify(publicInputs(images));
    expect(run.code).not.toBe(0);
    const rows = rowsOf(run);
    expect(statusOf(rows, 'run-jammy-base', '0.1.3')).toMatchObject({
      status: 'missing',
      sourceDigest: runImage.digest,
    });
    expect(statusOf(rows, 'run-jammy-base', 'latest')).toMatchObject({
      status: 'moving-tag-behind',
      digest: release.digests['run-jammy-base'],
      detail: 'at 0.1.2',
    });
    expect(statusOf(rows, 'build-jammy-base', '0.1.2')).toMatchObject({
      status: 'different-digest',
      digest: release.digests['build-jammy-base'],
    });
    expect(statusOf(rows, 'node-engine', '1.2.3')?.status).toBe('up-to-date');
    expect(statusOf(rows, 'node-engine', 'latest')?.status).toBe('missing');
    expect(statusOf(rows, 'builder-jammy-base', 'latest')?.status).toBe('up-to-date');
    expect(rows.filter((r) => r.source.endsWith('yarn-install:2.0.0'))).toEqual([
      expect.objectContaining({ tag: '2.0.0', status: 'missing', sourceDigest: yarn.digest }),
      expect.objectContaining({ tag: 'latest', status: 'missing', detail: 'repository "yarn-install" does not exist' }),
    ]);
    expect(run.printed).toContain(
      '::error::ECR is out of step with the source: 4 missing, 2 different digest, 1 moving tag behind',
    );
    expect(run.summary).toContain('ecr-publish verify: 7 of 12 tag(s) out of step with the source');
    expect(run.summary).toContain('moving tag behind');

    expect(methods.length).toBeGreaterThan(10);
    expect(new Set(methods)).toEqual(new Set(['GET', 'HEAD']));
    expect(calls.filter((c) => !c.allowed)).toEqual([]);
    expect(calls.filter((c) => WRITE_OPERATION.test(c.operation))).toEqual([]);
    expect(world.aws.ecrPublic.repositories.has('yarn-install')).toBe(false);
  }, 120_000);

  it('finds a moving tag that a newer release holds in step (after the previous test pushed run image 0.1.3)', async () => {
    const newer = await world.runAction(publicInputs([`${world.hub.host}/paketobuildpacks/run-jammy-base:0.1.3`]));
    expect(newer.code).toBe(0);
    const { run, methods } = await verify(publicInputs([release.references.runImage]));
    expect(run.printed).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(rowsOf(run).map((r) => [r.tag, r.status, r.detail])).toEqual([
      ['0.1.2', 'up-to-date', ''],
      ['latest', 'up-to-date', 'follows 0.1.3, newer than the source'],
    ]);
    expect(new Set(methods)).toEqual(new Set(['GET', 'HEAD']));
  }, 120_000);

  it('verifies private ECR with the read-only private policy', async () => {
    const privateInputs = {
      images: release.references.buildpacks.join('\n'),
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      'repository-prefix': 'buildpacks/',
    };
    expect((await world.runAction(privateInputs)).code).toBe(0);
    const { run, methods, calls } = await verify(privateInputs, 'iam-policy-verify-private.json');
    expect(run.printed).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(rowsOf(run).map((r) => `${r.repository.split('/').slice(1).join('/')}:${r.tag} ${r.status}`)).toEqual([
      'buildpacks/node-engine:1.2.3 up-to-date',
      'buildpacks/node-engine:latest up-to-date',
      'buildpacks/npm-install:1.2.3 up-to-date',
      'buildpacks/npm-install:latest up-to-date',
    ]);
    expect(new Set(methods)).toEqual(new Set(['GET', 'HEAD']));
    expect(calls.filter((c) => !c.allowed)).toEqual([]);
    expect(calls.filter((c) => WRITE_OPERATION.test(c.operation))).toEqual([]);
  }, 120_000);
});
