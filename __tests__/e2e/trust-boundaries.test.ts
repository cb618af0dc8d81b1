/** Issue 11, end to end: the source login goes to source-registry only, the ECR Public alias is checked, public policies apply. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { startProxy, type Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const USER = 'release-bot';
const PASSWORD = 'hub-token-s3cr3t';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** A second source registry that challenges like Docker Hub (anonymous tokens) and records every Authorization header. */
async function startOtherRegistry(target: string): Promise<{ proxy: Proxy; authorizations: string[] }> {
  const authorizations: string[] = [];
  const tokens = new Set<string>();
  let url = '';
  const proxy = await startProxy({
    target,
    intercept: (req, res) => {
      const auth = req.headers.authorization;
      if (auth !== undefined) authorizations.push(auth);
      const path = new URL(req.url ?? '/', url).pathname;
      if (path === '/token') {
        const token = randomBytes(16).toString('hex');
        tokens.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: 300 }));
        return true;
      }
      if (auth?.startsWith('Bearer ') && tokens.has(auth.slice(7))) return false;
      req.resume();
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="${url}/token",service="other"`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return true;
    },
  });
  url = proxy.url;
  return { proxy, authorizations };
}

describe('end to end: trust boundaries of inputs and settings', () => {
  let world: World;
  let other: Awaited<ReturnType<typeof startOtherRegistry>>;

  beforeAll(async () => {
    world = await startWorld();
    await pushImage({ url: world.source.url }, 'example/app', { layers: [pseudoRandomBytes(2_000, 11)] }, '1.0.0');
    await pushImage({ url: world.source.url }, 'other/tool', { layers: [pseudoRandomBytes(2_000, 12)] }, '1.0.0');
    other = await startOtherRegistry(world.source.url);
  }, 60_000);

  afterAll(async () => {
    await other?.proxy.close();
    await world?.close();
  });

  const privateRun = (extra: Record<string, string>): Promise<ActionRun> =>
    world.runAction({
      images: `${world.hub.host}/example/app:1.0.0\n${other.proxy.host}/other/tool:1.0.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      'source-username': USER,
      'source-password': PASSWORD,
      ...extra,
    });

  it('sends the source login to source-registry only; the other source is read anonymously', async () => {
    other.authorizations.splice(0);
    const run = await privateRun({ 'source-registry': world.hub.host });
    expect(run.printed.split('\n').filter((l) => l.startsWith('::error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(other.proxy.received.length).toBeGreaterThan(0);
    expect(other.authorizations.filter((a) => a.startsWith('Basic '))).toEqual([]);
    expect(other.authorizations.join('\n')).not.toContain(PASSWORD);
    // The Basic form of the login is masked along with the password.
    expect(run.stdout).toContain(`::add-mask::${PASSWORD}`);
    expect(run.stdout).toContain(`::add-mask::${BASIC.slice('Basic '.length)}`);
  }, 120_000);

  it('does send it to the other registry when that is source-registry (so the check above can see a leak)', async () => {
    other.authorizations.splice(0);
    const run = await privateRun({ 'source-registry': other.proxy.host, tags: 'again' });
    expect(run.code).toBe(0);
    expect(other.authorizations).toContain(BASIC);
  }, 120_000);

  const publicRun = (extra: Record<string, string>): Promise<ActionRun> =>
    world.runAction({
      images: `${world.hub.host}/example/app:1.0.0`,
      'registry-type': 'public',
      'role-to-assume': world.aws.roleArn,
      ...extra,
    });

  it("fails naming both aliases, and writes nothing, when public-registry-alias is not the registry's", async () => {
    const start = world.aws.calls.length;
    const run = await publicRun({ 'public-registry-alias': 'someone-else' });
    expect(run.code).not.toBe(0);
    const errors = run.printed.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"someone-else"');
    expect(errors[0]).toContain('"paketo-buildpacks"');
    const operations = world.aws.calls.slice(start).map((c) => c.operation);
    expect(operations).toContain('DescribeRegistries');
    for (const write of [
      'CreateRepository',
      'PutImage',
      'SetRepositoryPolicy',
      'PutRepositoryCatalogData',
      'GetAuthorizationToken',
    ]) {
      expect(operations).not.toContain(write);
    }
    expect(world.aws.ecrPublic.repositories.size).toBe(0);
  }, 120_000);

  it('applies repository-policy to ECR Public repositories, once', async () => {
    const policy =
      '{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr-public:DescribeImages"]}]}';
    const first = await publicRun({ 'public-registry-alias': 'paketo-buildpacks', 'repository-policy': policy });
    expect(first.printed.split('\n').filter((l) => l.startsWith('::error'))).toEqual([]);
    expect(first.code).toBe(0);
    expect(world.aws.ecrPublic.repositories.get('app')?.policyText).toBe(policy);
    const start = world.aws.calls.length;
    const again = await publicRun({ 'public-registry-alias': 'paketo-buildpacks', 'repository-policy': policy });
    expect(again.code).toBe(0);
    const operations = world.aws.calls.slice(start).map((c) => c.operation);
    expect(operations).toContain('GetRepositoryPolicy');
    expect(operations).not.toContain('SetRepositoryPolicy');
  }, 120_000);
});
