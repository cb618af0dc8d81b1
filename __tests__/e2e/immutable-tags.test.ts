import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEcrRegistryFront } from '../../testbed/aws-emulator/registry-front.js';
import type { Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { skopeoDigestOrNull, skopeoListTags } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const errors = (run: ActionRun): string[] => run.printed.split('\n').filter((line) => line.startsWith('::error'));
const READS = /^(Describe|Get|List|BatchGet|BatchCheck)/;

/**
 * Issue 14 part 1, through `node dist/index.js`: with immutable tags, a release that ECR would refuse
 * halfway (after the version tag is written) is refused before any write instead.
 */
describe('end to end: immutable tags are checked before any write', () => {
  let world: World;
  let front: Proxy;
  const digests: Record<string, string> = {};
  const source = (version: string) => `${world.hub.host}/paketobuildpacks/run-locked:${version}`;
  const creds = () => ({ username: 'AWS', password: world.privateRegistry.password });
  const at = (reference: string) => skopeoDigestOrNull(`${world.privateRegistry.host}/${reference}`, creds());
  const release = (version: string, inputs: Record<string, string>) =>
    world.runAction({
      images: source(version),
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      ...inputs,
    });
  /** Everything written from `mark` on: registry requests other than reads, ECR calls other than reads. */
  const writesSince = (mark: { requests: number; calls: number }) => ({
    registry: front.received
      .slice(mark.requests)
      .filter((r) => r.method !== 'GET' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.path}`),
    ecr: world.aws.calls
      .slice(mark.calls)
      .filter((c) => (c.service === 'ecr' || c.service === 'ecr-public') && !READS.test(c.operation))
      .map((c) => c.operation),
  });
  const mark = () => ({ requests: front.received.length, calls: world.aws.calls.length });

  beforeAll(async () => {
    world = await startWorld();
    // ECR's registry API: repository URIs name this front, which refuses to move an immutable tag.
    front = await startEcrRegistryFront(world.aws.ecr, {
      host: world.privateRegistry.host,
      username: 'AWS',
      password: world.privateRegistry.password!,
    });
    for (const [version, seed] of [
      ['0.1.0', 901],
      ['0.1.1', 902],
    ] as const) {
      const image = await pushImage(
        { url: world.source.url },
        'paketobuildpacks/run-locked',
        {
          layers: [pseudoRandomBytes(60_000, seed)],
          labels: { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' },
        },
        version,
      );
      digests[version] = image.digest;
    }
  }, 180_000);

  afterAll(async () => {
    await front?.close();
    await world?.close();
  });

  it('a new IMMUTABLE repository with the default tags is refused on the first release: latest could never move', async () => {
    const before = mark();
    const run = await release('0.1.0', { 'repository-prefix': 'fresh/', 'image-tag-mutability': 'IMMUTABLE' });
    expect(run.code).not.toBe(0);
    expect(errors(run)).toHaveLength(1);
    expect(errors(run)[0]).toContain('tag "latest" of new ECR repository "fresh/run-locked" is immutable (IMMUTABLE)');
    expect(errors(run)[0]).toContain(
      'set image-tag-mutability IMMUTABLE_WITH_EXCLUSION with "latest" in image-tag-mutability-exclusions',
    );
    expect(writesSince(before)).toEqual({ registry: [], ecr: [] });
    expect(world.aws.ecr.repositories.has('fresh/run-locked')).toBe(false);
  }, 120_000);

  it('a second release with latest into an IMMUTABLE repository fails before any write, naming repository, tag and setting', async () => {
    const first = await release('0.1.0', { 'repository-prefix': 'locked/' });
    expect(errors(first)).toEqual([]);
    expect(first.code).toBe(0);
    // The repository is then made immutable, as `aws ecr put-image-tag-mutability` would.
    world.aws.ecr.repositories.get('locked/run-locked')!.imageTagMutability = 'IMMUTABLE';

    const before = mark();
    const second = await release('0.1.1', { 'repository-prefix': 'locked/' });
    expect(second.code).not.toBe(0);
    expect(errors(second)).toEqual([
      `::error::tag "latest" of ECR repository "locked/run-locked" is immutable (IMMUTABLE) and holds ${digests['0.1.0']}: ` +
        `this run would move it to ${source('0.1.1')} (${digests['0.1.1']}). Nothing was written. To allow it, change the ` +
        `repository (the action never changes an existing one's setting): aws ecr put-image-tag-mutability ` +
        `--repository-name locked/run-locked --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
        `--image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='latest'; or remove "latest" from the tags.`,
    ]);
    expect(writesSince(before)).toEqual({ registry: [], ecr: [] });
    // skopeo, reading the registry directly: the first release's tags are untouched, 0.1.1 was never written.
    expect(await at('locked/run-locked:latest')).toBe(digests['0.1.0']);
    expect(await at('locked/run-locked:0.1.0')).toBe(digests['0.1.0']);
    expect(await at('locked/run-locked:0.1.1')).toBeNull();
    expect((await skopeoListTags(`${world.privateRegistry.host}/locked/run-locked`, creds())).sort()).toEqual([
      '0.1.0',
      'latest',
    ]);

    // A re-run of the first release moves nothing, so ECR takes it.
    const rerun = await release('0.1.0', { 'repository-prefix': 'locked/' });
    expect(errors(rerun)).toEqual([]);
    expect(rerun.code).toBe(0);
  }, 180_000);

  it('IMMUTABLE_WITH_EXCLUSION with latest and *.* creates the repository with those filters and moves latest and 0.1', async () => {
    const inputs = {
      'repository-prefix': 'excluded/',
      tags: '{{tag}}\nlatest\n{{major}}.{{minor}}',
      'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION',
      'image-tag-mutability-exclusions': 'latest\n*.*',
    };
    const first = await release('0.1.0', inputs);
    expect(errors(first)).toEqual([]);
    expect(first.code).toBe(0);
    const repository = world.aws.ecr.repositories.get('excluded/run-locked');
    expect(repository?.imageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');
    expect(repository?.imageTagMutabilityExclusionFilters).toEqual([
      { filterType: 'WILDCARD', filter: 'latest' },
      { filterType: 'WILDCARD', filter: '*.*' },
    ]);
    const second = await release('0.1.1', inputs);
    expect(errors(second)).toEqual([]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.outputs.images!)[0]).toMatchObject({
      repository: `${front.host}/excluded/run-locked`,
      tags: ['0.1.1', 'latest', '0.1'],
    });
    expect(await at('excluded/run-locked:latest')).toBe(digests['0.1.1']);
    expect(await at('excluded/run-locked:0.1')).toBe(digests['0.1.1']);
    expect(await at('excluded/run-locked:0.1.0')).toBe(digests['0.1.0']);
  }, 180_000);
});
