import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { startWorld, type World } from '../support/world.js';

/** Docker Hub's pull quota, as its `ratelimit-*` headers tell it, reaches the user before it runs out. */
describe('end to end: Docker Hub rate limit', () => {
  let world: World;
  let remaining = 12;

  beforeAll(async () => {
    world = await startWorld({ hub: { rateLimit: { limit: 100, remaining: () => remaining } } });
    await pushImage({ url: world.source.url }, 'org/tool', { layers: [pseudoRandomBytes(2000, 3)] }, '2.0.0');
  });

  afterAll(async () => {
    await world?.close();
  });

  it('warns in the log and the job summary when few pulls are left', async () => {
    const run = await world.runAction({
      images: `${world.hub.host}/org/tool:2.0.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/::warning::.*12 of 100 pulls left/);
    expect(run.summary).toMatch(/12 of 100 pulls left/);
  });

  it('says nothing when the quota is comfortable', async () => {
    remaining = 90;
    await pushImage({ url: world.source.url }, 'org/tool', { layers: [pseudoRandomBytes(2000, 4)] }, '2.0.1');
    const run = await world.runAction({
      images: `${world.hub.host}/org/tool:2.0.1`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/pulls left/);
  });
});
