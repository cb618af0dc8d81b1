import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

/**
 * Issue 3: every bad input fails `node dist/index.js` before anything is contacted, with one
 * `::error::Input "<name>": …` line. Each case changes one input of a valid private-ECR run.
 */
describe('end to end: bad input fails before any AWS or registry call', () => {
  let world: World;
  let validInputs: Record<string, string>;

  beforeAll(async () => {
    world = await startWorld();
    await pushImage({ url: world.source.url }, 'example/app', { layers: [pseudoRandomBytes(2_000, 7)] }, '1.0.0');
    validInputs = {
      images: `${world.hub.host}/example/app:1.0.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
    };
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  /** Runs the action from a clean slate so every recorded call belongs to this run. */
  async function runFresh(inputs: Record<string, string>, extraEnv?: Record<string, string>): Promise<ActionRun> {
    world.aws.calls.splice(0);
    world.hub.front.reset();
    return world.runAction(inputs, extraEnv);
  }

  const errorLines = (run: ActionRun): string[] => run.printed.split('\n').filter((line) => line.startsWith('::error'));

  it('the valid inputs the cases start from do reach AWS and the source (so "no call" below means something)', async () => {
    const run = await runFresh(validInputs);
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(world.aws.calls.length).toBeGreaterThan(0);
    expect(world.hub.front.exchanges.length).toBeGreaterThan(0);
  });

  const hostOfHub = () => world.hub.host;
  const cases: { what: string; input: string; inputs: () => Record<string, string>; mentions: RegExp }[] = [
    {
      what: 'a malformed image reference',
      input: 'images',
      inputs: () => ({ images: `${hostOfHub()}/Example/App:1.0.0` }),
      mentions: /line 1/,
    },
    {
      what: 'a reference with a broken digest',
      input: 'images',
      inputs: () => ({ images: `${hostOfHub()}/example/app@sha256:abc` }),
      mentions: /sha256:abc/,
    },
    {
      what: 'registry-type public without public-registry-alias',
      input: 'public-registry-alias',
      inputs: () => ({ 'registry-type': 'public' }),
      mentions: /required/,
    },
    {
      what: 'an unknown registry-type',
      input: 'registry-type',
      inputs: () => ({ 'registry-type': 'secret' }),
      mentions: /"secret"/,
    },
    {
      what: 'a role ARN that is not one',
      input: 'role-to-assume',
      inputs: () => ({ 'role-to-assume': 'arn:aws:iam::1234:user/me' }),
      mentions: /IAM role ARN/,
    },
    {
      what: 'role-duration-seconds that is not a number',
      input: 'role-duration-seconds',
      inputs: () => ({ 'role-duration-seconds': 'forever' }),
      mentions: /"forever"/,
    },
    {
      what: 'role-duration-seconds below STS minimum',
      input: 'role-duration-seconds',
      inputs: () => ({ 'role-duration-seconds': '60' }),
      mentions: /900/,
    },
    {
      what: 'an unknown severity',
      input: 'scan-severity-threshold',
      inputs: () => ({ 'scan-severity-threshold': 'SEVERE' }),
      mentions: /"SEVERE".*CRITICAL/,
    },
    {
      what: 'a lifecycle policy that is not valid JSON',
      input: 'lifecycle-policy',
      inputs: () => ({ 'lifecycle-policy': '{"rules": [' }),
      mentions: /not valid JSON/,
    },
    {
      what: 'a repository policy path that does not exist',
      input: 'repository-policy',
      inputs: () => ({ 'repository-policy': 'policies/missing.json' }),
      mentions: /policies\/missing\.json.*does not exist/,
    },
    {
      what: 'two sources mapping to one destination repository',
      input: 'images',
      inputs: () => ({ images: `${hostOfHub()}/example/app:1.0.0\n${hostOfHub()}/other/app:1.0.0` }),
      mentions: /both map to repository "app"/,
    },
    {
      what: 'a scan-ignore entry with an impossible date',
      input: 'scan-ignore',
      inputs: () => ({ 'scan-ignore': 'CVE-2024-0001 until 2024-02-30' }),
      mentions: /"2024-02-30"/,
    },
    {
      what: 'a promote tag that is not a tag',
      input: 'promote-tags',
      inputs: () => ({ 'promote-tags': 'prod/eu' }),
      mentions: /"prod\/eu"/,
    },
    {
      what: 'a scan timeout of zero',
      input: 'scan-timeout-seconds',
      inputs: () => ({ 'scan-timeout-seconds': '0' }),
      mentions: /"0"/,
    },
    { what: 'empty images', input: 'images', inputs: () => ({ images: '' }), mentions: /no image references/ },
    {
      what: 'images holding only comments and blank lines',
      input: 'images',
      inputs: () => ({ images: '# nothing yet\n\n' }),
      mentions: /no image references/,
    },
    // Issue 11: edges that used to be accepted.
    {
      what: 'an md5 digest',
      input: 'images',
      inputs: () => ({ images: `${hostOfHub()}/example/app@md5:${'a'.repeat(32)}` }),
      mentions: /"md5" is not a supported digest algorithm/,
    },
    {
      what: 'port 99999',
      input: 'images',
      inputs: () => ({ images: '127.0.0.1:99999/example/app:1.0.0' }),
      mentions: /port 99999/,
    },
    {
      what: 'a write rate that overflows timers',
      input: 'write-rate-limit',
      inputs: () => ({ 'write-rate-limit': '0.0000001' }),
      mentions: /"0\.0000001".*0\.01 to 10000/,
    },
    {
      what: 'scan-ignore without a gate',
      input: 'scan-ignore',
      inputs: () => ({ 'scan-ignore': 'CVE-2024-0001' }),
      mentions: /scan-severity-threshold NONE/,
    },
    {
      what: 'source-registry without a login',
      input: 'source-registry',
      inputs: () => ({ 'source-registry': 'ghcr.io' }),
      mentions: /source-username/,
    },
  ];

  it.each(cases)('$what: fails naming "$input", contacts nothing', async ({ input, inputs, mentions }) => {
    const run = await runFresh({ ...validInputs, ...inputs() });
    expect(run.code).not.toBe(0);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^::error::Input "${input}": \\S`));
    expect(errors[0]).toMatch(mentions);
    expect(world.aws.calls).toEqual([]);
    expect(world.hub.front.exchanges).toEqual([]);
    expect(run.outputs).toEqual({});
  });

  it('several wrong inputs: one error line each, in the order of action.yml, and nothing contacted', async () => {
    const run = await runFresh({
      ...validInputs,
      'aws-region': 'europe',
      'scan-severity-threshold': 'SEVERE',
      concurrency: '100',
    });
    expect(run.code).not.toBe(0);
    expect(errorLines(run).map((line) => /^::error::Input "([^"]+)"/.exec(line)?.[1])).toEqual([
      'aws-region',
      'scan-severity-threshold',
      'concurrency',
    ]);
    expect(world.aws.calls).toEqual([]);
    expect(world.hub.front.exchanges).toEqual([]);
    expect(run.outputs).toEqual({});
  });

  it('a policy file that is not JSON is named with the error position, never its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-policy-'));
    const path = join(dir, 'policy.json');
    writeFileSync(path, '{\n  "rules": TOPSECRET-VALUE\n}');
    try {
      const run = await runFresh({ ...validInputs, 'lifecycle-policy': path });
      expect(run.code).not.toBe(0);
      expect(errorLines(run)).toEqual([
        `::error::Input "lifecycle-policy": file ${JSON.stringify(path)} is not valid JSON (error at line 2, column 12)`,
      ]);
      expect(run.printed).not.toContain('TOPSECRET');
      expect(world.aws.calls).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('role-to-assume without the id-token permission gives the exact hint and makes no AWS call', async () => {
    const run = await runFresh(validInputs, { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' });
    expect(run.code).not.toBe(0);
    expect(errorLines(run)).toEqual([
      '::error::The OIDC token is not available: grant the workflow "permissions: id-token: write" to use role-to-assume.',
    ]);
    expect(world.aws.calls).toEqual([]);
    expect(world.hub.front.exchanges).toEqual([]);
  });
});
