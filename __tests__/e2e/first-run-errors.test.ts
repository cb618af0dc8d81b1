/** Issue 15: the failures a first run meets end in one `::error::` line naming the next step, with nothing written. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { IAM_POLICY_PATH } from '../../testbed/aws-emulator.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const READS = /^(Describe|Get|List|BatchGet|BatchCheck)/;
const errorLines = (run: ActionRun): string[] => run.printed.split('\n').filter((line) => line.startsWith('::error'));

describe('end to end: first-run failures say what to do next', () => {
  let world: World;
  /** Source reads that answer Docker Hub's 429 `toomanyrequests`. */
  let rateLimited = false;

  beforeAll(async () => {
    world = await startWorld({
      doors: true,
      hub: { rateLimited: () => rateLimited },
      aws: { staticCredentials: [{ accessKeyId: 'AKIAFIRSTRUN', secretAccessKey: 'first-run-secret' }] },
    });
    await pushImage({ url: world.source.url }, 'example/app', { layers: [pseudoRandomBytes(2_000, 11)] }, '1.0.0');
    await pushImage({ url: world.source.url }, 'example/keys', { layers: [pseudoRandomBytes(2_000, 12)] }, '1.0.0');
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  const privateRun = () => ({
    images: `${world.hub.host}/example/app:1.0.0`,
    'registry-type': 'private',
    'aws-region': world.aws.region,
    'role-to-assume': world.aws.roleArn,
  });
  const publicRun = () => ({
    images: `${world.hub.host}/example/app:1.0.0`,
    'registry-type': 'public',
    'public-registry-alias': 'paketo-buildpacks',
    'role-to-assume': world.aws.roleArn,
  });

  /** Runs the action from a clean slate so every recorded call and request belongs to this run. */
  async function runFresh(inputs: Record<string, string>, extraEnv?: Record<string, string>): Promise<ActionRun> {
    world.aws.calls.splice(0);
    world.hub.front.reset();
    world.doors!.private.reset();
    world.doors!.public.reset();
    return world.runAction(inputs, extraEnv);
  }

  /** Everything this run wrote: destination registry requests other than reads, AWS calls other than reads. */
  const writes = () => ({
    registry: [...world.doors!.private.received, ...world.doors!.public.received]
      .filter((r) => r.method !== 'GET' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.path}`),
    aws: world.aws.calls
      .filter((c) => (c.service === 'ecr' || c.service === 'ecr-public') && !READS.test(c.operation))
      .map((c) => c.operation),
  });

  /** `created`: repositories are ensured before the sources are read, so a source failure leaves them (empty). */
  function expectOneError(run: ActionRun, created: string[] = []): string {
    expect(run.code).not.toBe(0);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(run.outputs).toEqual({});
    expect(writes()).toEqual({ registry: [], aws: created });
    return errors[0]!;
  }

  describe('no role-to-assume and no credentials in the environment', () => {
    const withoutRole = (inputs: Record<string, string>) =>
      Object.fromEntries(Object.entries(inputs).filter(([name]) => name !== 'role-to-assume'));
    it.each([
      ['private ECR', () => withoutRole(privateRun())],
      ['ECR Public', () => withoutRole(publicRun())],
      ['dry-run: verify', () => ({ ...withoutRole(privateRun()), 'dry-run': 'verify' })],
    ])('%s: stops before contacting anything and names both ways to give credentials', async (_what, inputs) => {
      const run = await runFresh(inputs());
      const error = expectOneError(run);
      expect(error).toMatch(/^::error::No AWS credentials/);
      expect(error).toContain('set role-to-assume');
      expect(error).toContain('permissions: id-token: write');
      expect(error).toContain('aws-actions/configure-aws-credentials');
      expect(run.printed).not.toContain('CredentialsProviderError');
      expect(world.aws.calls).toEqual([]);
      expect(world.hub.front.received).toEqual([]);
      expect([...world.doors!.private.received, ...world.doors!.public.received]).toEqual([]);
    });
  });

  it('keys in the environment instead (a credentials step before this one): the run uses them', async () => {
    const inputs = Object.fromEntries(Object.entries(privateRun()).filter(([name]) => name !== 'role-to-assume'));
    const run = await runFresh(
      { ...inputs, images: `${world.hub.host}/example/keys:1.0.0` },
      {
        ...world.aws.staticCredentialsEnv(),
      },
    );
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(world.aws.calls.map((call) => call.service)).not.toContain('sts');
    expect(new Set(world.aws.calls.map((call) => call.principal))).toEqual(
      new Set([`arn:aws:iam::${world.aws.accountId}:user/ecr-publish-ci`]),
    );
  });

  describe('a missing repository with create-repositories: false', () => {
    it('private ECR: names the repository, the registry and the two ways out, before reading the source', async () => {
      const run = await runFresh({ ...privateRun(), 'create-repositories': 'false' });
      const error = expectOneError(run);
      expect(error).toContain(`Repository "app" does not exist in registry ${world.aws.accountId}`);
      expect(error).toContain(`aws ecr create-repository --repository-name app --region ${world.aws.region}`);
      expect(error).toContain('set create-repositories: true');
      expect(world.hub.front.received).toEqual([]);
    });

    it('ECR Public: the same, with the ECR Public command', async () => {
      const run = await runFresh({ ...publicRun(), 'create-repositories': 'false' });
      const error = expectOneError(run);
      expect(error).toContain('Repository "app" does not exist in ECR Public registry');
      expect(error).toContain('aws ecr-public create-repository --repository-name app --region us-east-1');
      expect(error).toContain('set create-repositories: true');
      expect(world.hub.front.received).toEqual([]);
    });
  });

  it('Docker Hub rate limit after the retries: says to log in with source-username/source-password', async () => {
    rateLimited = true;
    try {
      const run = await runFresh(privateRun());
      // The first run that gets this far creates repository "app"; no image or tag is written.
      const error = expectOneError(run, ['CreateRepository']);
      expect(error).toContain('429');
      expect(error).toContain('pull rate limit');
      expect(error).toContain('anonymous pulls are limited per IP address');
      expect(error).toContain('source-username and source-password');
      // The transport tried more than once before giving up.
      const manifestReads = world.hub.front.received.filter((r) => r.path.includes('/manifests/'));
      expect(manifestReads.length).toBeGreaterThan(1);
    } finally {
      rateLimited = false;
    }
  }, 60_000);

  describe('a private registry in another account', () => {
    const other = '210987654321';
    const documentedPolicy = () => readFileSync(IAM_POLICY_PATH, 'utf8');
    afterAll(() => world.aws.setPermissionsPolicy(documentedPolicy()));

    it("the role's own policy does not cover it: says which policy must allow what", async () => {
      const run = await runFresh({ ...privateRun(), 'registry-id': other });
      const error = expectOneError(run);
      expect(error).toContain(`registry ${other}`);
      expect(error).toContain('no identity-based policy allows');
      expect(error).toContain(`arn:aws:ecr:${world.aws.region}:${other}:repository/*`);
      expect(error).toContain('repository policy');
      expect(world.hub.front.received).toEqual([]);
    });

    it("the other account's repository policy does not grant it (AWS: no resource-based policy allows)", async () => {
      // The role may act on any account's repositories; the other account's repository policy grants nothing.
      world.aws.setPermissionsPolicy(documentedPolicy().replaceAll('${AccountId}', '*'));
      const run = await runFresh({ ...privateRun(), 'registry-id': other });
      const error = expectOneError(run);
      expect(error).toContain('no resource-based policy allows');
      expect(error).toContain(`account ${other} must grant this role`);
      expect(error).toContain('repository policy');
      expect(world.hub.front.received).toEqual([]);
    });
  });
});
