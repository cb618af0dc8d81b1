// The dry-run plan through `node dist/index.js`: the real run's tag decisions, full destinations, a retention preview that could not run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const lines = (run: ActionRun, level: string): string[] =>
  run.printed.split('\n').filter((line) => line.startsWith(`::${level}::`));

/** Issue 15: the plan (and the `plan` job matrix) says what the real run will do. */
describe('end to end: the dry-run plan', () => {
  let world: World;
  const alias = 'paketo-buildpacks';
  const paketo = (name: string) => `docker.io/paketobuildpacks/${name}`;
  const release = [
    'builder-jammy-base:0.4.300',
    'run-jammy-base:0.1.120',
    'build-jammy-base:0.1.120',
    'java:18.2.0',
    'go:4.13.1-rc.1',
  ].map(paketo);
  const planInputs = (extra: Record<string, string> = {}) => ({
    images: release.join('\n'),
    'public-registry-alias': alias,
    tags: '{{tag}}\n{{major}}.{{minor}}\nlatest',
    'dry-run': 'true',
    ...extra,
  });

  beforeAll(async () => {
    world = await startWorld();
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('plans a pre-release buildpack without moving tags, with full destinations, contacting nothing', async () => {
    const calls = world.aws.calls.length;
    const run = await world.runAction(planInputs());
    expect(lines(run, 'error')).toEqual([]);
    expect(run.code).toBe(0);
    expect(world.aws.calls.length).toBe(calls);
    expect(run.outputs.registry).toBe(`public.ecr.aws/${alias}`);
    const matrix = JSON.parse(run.outputs.plan!) as { include: Record<string, unknown>[] };
    const go = matrix.include.find((entry) => entry.repository === 'go');
    const reason = '4.13.1-rc.1 is a pre-release; moving tags follow releases only';
    expect(go).toEqual({
      source: paketo('go:4.13.1-rc.1'),
      images: paketo('go:4.13.1-rc.1'),
      repository: 'go',
      destination: `public.ecr.aws/${alias}/go`,
      tags: ['4.13.1-rc.1'],
      heldBack: [
        { tag: '4.13', reason },
        { tag: 'latest', reason },
      ],
    });
    const java = matrix.include.find((entry) => entry.repository === 'java');
    expect(java?.tags).toEqual(['18.2.0', '18.2', 'latest']);
    expect(JSON.parse(run.outputs.images!)).toEqual(matrix.include);
    expect(run.stdout).toContain(
      `would publish ${paketo('go:4.13.1-rc.1')} → public.ecr.aws/${alias}/go [4.13.1-rc.1], not moving 4.13, latest: ${reason}\n`,
    );
    expect(run.stdout).toContain(`  - Run-image mirror (auto): public.ecr.aws/${alias}/builder-jammy-base`);
    expect(run.summary).toContain('<td>4.13, latest: 4.13.1-rc.1 is a pre-release');
  });

  it('says at the top of the summary that the retention preview did not run without AWS credentials', async () => {
    // No role-to-assume, and the world gives the run no credentials of its own.
    const run = await world.runAction(planInputs({ 'public-retention': '3' }));
    expect(lines(run, 'error')).toEqual([]);
    expect(run.code).toBe(0);
    expect(lines(run, 'warning')).toContainEqual(
      expect.stringMatching(/^::warning::dry-run: the public-retention preview did not run for 5 of 5 repositories/),
    );
    const firstHeading = /^### (.*)$/m.exec(run.summary)?.[1];
    expect(firstHeading).toBe('⚠️ The public-retention preview did not run: what it would delete is not shown');
    expect(run.outputs.plan).toBeDefined();
  });

  it('says what promote-tags without a gate does, and does it', async () => {
    await pushImage({ url: world.source.url }, 'example/app', { layers: [pseudoRandomBytes(2_000, 15)] }, '1.0.0');
    const run = await world.runAction({
      images: `${world.hub.host}/example/app:1.0.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      'repository-prefix': 'promote-only/',
      'promote-tags': 'prod',
    });
    expect(lines(run, 'error')).toEqual([]);
    expect(run.code).toBe(0);
    expect(lines(run, 'notice')).toContain(
      '::notice::promote-tags: prod will be applied to every image once all are published, with no scan gate ' +
        '(scan-severity-threshold is NONE); set scan-severity-threshold to promote only what passes a scan',
    );
    const promoted = world.aws.calls.filter(
      (c) =>
        c.operation === 'PutImage' && c.params.imageTag === 'prod' && c.params.repositoryName === 'promote-only/app',
    );
    expect(promoted).toHaveLength(1);
  });
});
