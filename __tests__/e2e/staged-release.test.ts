/** Issue 12 end to end: a release to ECR Public gated on scan findings, staged in private ECR first (dist bundle, skopeo). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BasicFinding, PolicyDocument, PolicyStatement } from '../../testbed/aws-emulator.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { repoRoot } from '../../testbed/repo-root.js';
import { skopeoConfig, skopeoDigestOrNull, skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const ALIAS = 'paketo-buildpacks';
const STAGING = 'ecr-publish-staging/';
const NAMES = ['run-jammy-base', 'build-jammy-base', 'node-engine', 'npm-install', 'builder-jammy-base'] as const;
const WRITES = ['PUT', 'POST', 'PATCH', 'DELETE'];

interface ImageOutput {
  source: string;
  repository: string;
  digest: string;
  tags: string[];
  stagedRepository?: string;
  stagedDigest?: string;
}

/** The documented ECR Public statements plus exactly the staging additions: the policy a staged release runs with. */
function stagedReleasePolicy(): PolicyDocument {
  const read = (file: string) =>
    JSON.parse(readFileSync(join(repoRoot(), 'docs', file), 'utf8')) as { Statement: PolicyStatement[] };
  const publicStatements = read('iam-policy.json').Statement.filter((s) => s.Sid?.startsWith('EcrPublic'));
  return { Version: '2012-10-17', Statement: [...publicStatements, ...read('iam-policy-staging.json').Statement] };
}

const errors = (run: ActionRun) => run.printed.split('\n').filter((line) => line.startsWith('::error::'));
const imagesOf = (run: ActionRun) => JSON.parse(run.outputs.images ?? '[]') as ImageOutput[];

describe('end to end: a gated release to ECR Public through private ECR staging', () => {
  let world: World;
  let release: PaketoRelease;
  const privateCreds = () => ({ username: 'AWS', password: world.privateRegistry.password });
  const publicCreds = () => ({ username: 'AWS', password: world.publicRegistry.password });
  const publicRef = (name: string, tag: string) => `${world.publicRegistry.host}/${ALIAS}/${name}:${tag}`;
  const stagedRef = (name: string, tag: string) => `${world.privateRegistry.host}/${STAGING}${name}:${tag}`;
  const inputs = (extra: Record<string, string> = {}) => ({
    images: [
      release.references.runImage,
      release.references.buildImage,
      ...release.references.buildpacks,
      release.references.builder,
    ].join('\n'),
    'registry-type': 'public',
    'public-registry-alias': ALIAS,
    'role-to-assume': world.aws.roleArn,
    'aws-region': world.aws.region,
    'scan-severity-threshold': 'HIGH',
    ...extra,
  });
  const TAGS: Record<string, string> = {
    'builder-jammy-base': '0.3.13',
    'node-engine': '1.2.3',
    'npm-install': '1.2.3',
  };
  const tagOf = (name: string) => TAGS[name] ?? '0.1.2';
  const fronts = () => [world.doors!.private, world.doors!.public, world.hub.front, world.hub.cdn];
  const writesAt = (door: { received: { method: string }[] }) =>
    door.received.filter((r) => WRITES.includes(r.method)).length;
  const highInOpenssl: BasicFinding = {
    name: 'CVE-2024-1212',
    severity: 'HIGH',
    packageName: 'openssl',
    packageVersion: '3.0.2-0ubuntu1.10',
  };

  beforeAll(async () => {
    world = await startWorld({ doors: true, aws: { permissionsPolicy: stagedReleasePolicy() } });
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    world.aws.ecr.setScanning({ scanType: 'BASIC', rules: [] });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('dry-run shows the staging repositories, then the public ones', async () => {
    const run = await world.runAction(inputs({ 'dry-run': 'true' }));
    expect(run.code).toBe(0);
    expect(run.summary).toContain(`<td>${STAGING}builder-jammy-base</td><td>0.3.13</td>`);
    expect(run.summary).toContain(
      '<td>public.ecr.aws/paketo-buildpacks/builder-jammy-base</td><td>0.3.13, latest</td>',
    );
    expect(run.summary.indexOf(STAGING)).toBeLessThan(run.summary.indexOf('ecr-publish plan (dry run)'));
  }, 60_000);

  describe('a HIGH finding in one platform of the builder', () => {
    let run: ActionRun;
    let arm64: string;
    beforeAll(async () => {
      // The staged builder carries its mirror, so its digests are known only once it is staged: its scans stay in
      // progress until the test has read them and scripted the arm64 platform's finding.
      const builderRepository = `${STAGING}builder-jammy-base`;
      world.aws.ecr.scriptRepositoryScan(builderRepository, { status: 'IN_PROGRESS' });
      const running = world.runAction(inputs());
      let staged: string | null = null;
      for (let i = 0; i < 600 && staged === null; i++) {
        staged = await skopeoDigestOrNull(stagedRef('builder-jammy-base', '0.3.13'), privateCreds());
        if (staged === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const index = JSON.parse(
        (await skopeoRaw(stagedRef('builder-jammy-base', '0.3.13'), privateCreds())).bytes.toString(),
      ) as {
        manifests: { digest: string; platform: { architecture: string } }[];
      };
      const digestOf = (architecture: string) =>
        index.manifests.find((m) => m.platform.architecture === architecture)!.digest;
      arm64 = digestOf('arm64');
      world.aws.ecr.scriptScan(builderRepository, digestOf('amd64'), [{ status: 'COMPLETE', findings: [] }]);
      world.aws.ecr.scriptScan(builderRepository, arm64, [{ status: 'COMPLETE', findings: [highInOpenssl] }]);
      run = await running;
    }, 180_000);

    it('exits non-zero with the finding, image and platform in an ::error::, and says nothing was published', () => {
      expect(run.code).not.toBe(0);
      const finding = errors(run).filter((line) => line.includes('CVE-2024-1212'));
      expect(finding).toHaveLength(1);
      expect(finding[0]).toContain(`${STAGING}builder-jammy-base@`);
      expect(finding[0]).toContain('linux/arm64');
      expect(errors(run).at(-1)).toContain('nothing of the release was published to');
    });

    it('leaves no tag of any release image in ECR Public, and writes nothing there', async () => {
      for (const name of NAMES) {
        expect(await skopeoDigestOrNull(publicRef(name, tagOf(name)), publicCreds())).toBeNull();
        expect(await skopeoDigestOrNull(publicRef(name, 'latest'), publicCreds())).toBeNull();
      }
      expect(writesAt(world.doors!.public)).toBe(0);
    });

    it('says in the summary where the staged copies are and that nothing was published; outputs name them', () => {
      expect(run.summary).toContain('nothing was published to');
      expect(run.summary).toContain(`${world.privateRegistry.host}/${STAGING}`);
      expect(run.summary).toContain(`Scan gate failed for ${STAGING}builder-jammy-base@`);
      const builder = imagesOf(run).find((i) => i.repository.endsWith('/builder-jammy-base'));
      expect(builder?.stagedRepository).toBe(`${world.privateRegistry.host}/${STAGING}builder-jammy-base`);
      expect(builder?.stagedDigest).toBe(builder?.digest);
      expect(run.summary).toContain(arm64.slice(7, 19));
    });
  });

  describe('the same release with that CVE in scan-ignore', () => {
    let run: ActionRun;
    beforeAll(async () => {
      for (const front of fronts()) front.reset();
      run = await world.runAction(inputs({ 'scan-ignore': 'CVE-2024-1212' }));
    }, 180_000);

    it('passes, and every ECR Public digest equals its staged digest (skopeo)', async () => {
      expect(errors(run)).toEqual([]);
      expect(run.code).toBe(0);
      const images = imagesOf(run);
      expect(images).toHaveLength(NAMES.length);
      for (const name of NAMES) {
        const image = images.find((i) => i.repository.endsWith(`/${name}`))!;
        const published = await skopeoDigestOrNull(publicRef(name, tagOf(name)), publicCreds());
        const staged = await skopeoDigestOrNull(stagedRef(name, tagOf(name)), privateCreds());
        expect(published).toBe(staged);
        expect(image).toMatchObject({ digest: published, stagedDigest: staged });
        expect(image.stagedRepository).toBe(`${world.privateRegistry.host}/${STAGING}${name}`);
        expect(await skopeoDigestOrNull(publicRef(name, 'latest'), publicCreds())).toBe(published);
      }
    });

    it('keeps the Docker Hub digests of run images and buildpacks; the builder mirror names the ECR Public run image', async () => {
      for (const name of ['run-jammy-base', 'build-jammy-base', 'node-engine', 'npm-install'])
        expect(await skopeoDigestOrNull(publicRef(name, tagOf(name)), publicCreds())).toBe(release.digests[name]);
      const config = await skopeoConfig(publicRef('builder-jammy-base', '0.3.13'), publicCreds());
      const label = config.config?.Labels?.['io.buildpacks.builder.metadata'] ?? '';
      expect(label).toContain(publicRef('run-jammy-base', 'latest'));
      expect(label).not.toContain(STAGING);
    });

    it('publishes without reading the source again: blobs come from the staging copies', () => {
      expect(world.hub.cdn.downloadedBlobBytes()).toBe(0);
      expect(writesAt(world.doors!.private)).toBe(0);
      expect(run.summary).toContain(`Staged and scanned in ${world.privateRegistry.host}/${STAGING}`);
    });
  });

  it('a re-run after a pass is a no-op at both registries', async () => {
    for (const front of fronts()) front.reset();
    const run = await world.runAction(inputs({ 'scan-ignore': 'CVE-2024-1212' }));
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(writesAt(world.doors!.private)).toBe(0);
    expect(writesAt(world.doors!.public)).toBe(0);
    expect(world.hub.cdn.downloadedBlobBytes()).toBe(0);
  }, 180_000);

  describe('a gate that cannot decide publishes nothing', () => {
    const seed = async (name: string, seedValue: number) =>
      pushImage(
        { url: world.source.url },
        `example/${name}`,
        { layers: [pseudoRandomBytes(8_000, seedValue)] },
        '1.0.0',
      );
    const single = (name: string, extra: Record<string, string> = {}) =>
      world.runAction({
        images: `${world.hub.host}/example/${name}:1.0.0`,
        'registry-type': 'public',
        'public-registry-alias': ALIAS,
        'role-to-assume': world.aws.roleArn,
        'aws-region': world.aws.region,
        'scan-severity-threshold': 'HIGH',
        ...extra,
      });

    it('a scan that never finishes times out, and no tag reaches ECR Public', async () => {
      const image = await seed('slow', 91);
      world.aws.ecr.scriptScan(`${STAGING}slow`, image.digest, [{ status: 'IN_PROGRESS' }]);
      world.doors!.public.reset();
      const run = await single('slow', { 'scan-timeout-seconds': '2' });
      expect(run.code).not.toBe(0);
      expect(errors(run).at(-1)).toMatch(/timed out after 2 s .*nothing of the release was published to/);
      expect(await skopeoDigestOrNull(publicRef('slow', '1.0.0'), publicCreds())).toBeNull();
      expect(writesAt(world.doors!.public)).toBe(0);
    }, 120_000);

    it('a FAILED scan fails the gate, and no tag reaches ECR Public', async () => {
      const image = await seed('broken', 92);
      world.aws.ecr.scriptScan(`${STAGING}broken`, image.digest, [{ status: 'FAILED' }]);
      world.doors!.public.reset();
      const run = await single('broken');
      expect(run.code).not.toBe(0);
      expect(errors(run).at(-1)).toMatch(/FAILED.*nothing of the release was published to/);
      expect(await skopeoDigestOrNull(publicRef('broken', '1.0.0'), publicCreds())).toBeNull();
      expect(writesAt(world.doors!.public)).toBe(0);
    }, 120_000);
  });
});
