// lifecycle-image through the bundle: each builder's lifecycle version copied digest-preserved, before the builder.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pseudoRandomBytes, pushImage, pushIndex, type PushedManifest } from '../../testbed/images.js';
import { pushBuilder, pushCosignSignature, pushRawBuilder } from '../../testbed/release.js';
import { skopeoListTags, skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

/** A 2-platform lifecycle image at `buildpacksio/lifecycle:<version>`, labelled as the real one is. */
async function pushLifecycle(world: World, version: string, seed: number): Promise<PushedManifest> {
  const target = { url: world.source.url };
  const platforms = [];
  for (const [i, architecture] of ['amd64', 'arm64'].entries()) {
    platforms.push({
      manifest: await pushImage(target, 'buildpacksio/lifecycle', {
        architecture,
        layers: [pseudoRandomBytes(40_000, seed + i)],
        labels: { 'io.buildpacks.lifecycle.version': version },
      }),
      platform: { os: 'linux', architecture },
    });
  }
  return pushIndex(target, 'buildpacksio/lifecycle', platforms, { tag: version });
}

describe('end to end: lifecycle-image', () => {
  let world: World;
  let run: ActionRun;
  const lifecycle: Record<string, PushedManifest> = {};
  let signatureTag: string;
  const creds = () => ({ username: 'AWS', password: world.privateRegistry.password });
  const dest = (name: string) => `${world.privateRegistry.host}/buildpacks/${name}`;
  const inputs = (images: string[], prefix = 'buildpacks/') => ({
    images: images.join('\n'),
    'registry-type': 'private',
    'aws-region': world.aws.region,
    'role-to-assume': world.aws.roleArn,
    'repository-prefix': prefix,
    'lifecycle-image': `${world.hub.host}/buildpacksio/lifecycle`,
  });
  let sources: string[];

  beforeAll(async () => {
    world = await startWorld();
    const target = { url: world.source.url };
    const runImage = `index.docker.io/paketobuildpacks/run-jammy-base:latest`;
    await pushImage(target, 'paketobuildpacks/run-jammy-base', { layers: [pseudoRandomBytes(30_000, 3)] }, '0.1.2');
    // A current builder (lifecycle 0.20.0, 2 platforms) and an old one (stack only, lifecycle 0.17.0).
    await pushBuilder(target, 'paketobuildpacks/builder-jammy-base', { runImage, tag: '0.3.13' });
    await pushBuilder(target, 'paketobuildpacks/builder-old', {
      runImage,
      shape: 'stack',
      platforms: ['amd64'],
      tag: '0.1.0',
    });
    lifecycle['0.20.0'] = await pushLifecycle(world, '0.20.0', 40);
    lifecycle['0.17.0'] = await pushLifecycle(world, '0.17.0', 50);
    await pushLifecycle(world, '0.19.0', 60); // named by no builder: must not be copied
    signatureTag = (await pushCosignSignature(target, 'buildpacksio/lifecycle', lifecycle['0.20.0'].digest)).tag;
    sources = [
      `${world.hub.host}/paketobuildpacks/builder-jammy-base:0.3.13`,
      `${world.hub.host}/paketobuildpacks/builder-old:0.1.0`,
      `${world.hub.host}/paketobuildpacks/run-jammy-base:0.1.2`,
    ];
    run = await world.runAction(inputs(sources));
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  it('copies the version each builder names, digest-preserved, to <repository-prefix>lifecycle (skopeo)', async () => {
    expect(run.printed).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    for (const version of ['0.20.0', '0.17.0'])
      expect((await skopeoRaw(`${dest('lifecycle')}:${version}`, creds())).digest).toBe(lifecycle[version]!.digest);
    const tags = await skopeoListTags(dest('lifecycle'), creds());
    expect(tags).not.toContain('0.19.0');
    expect(tags).not.toContain('latest');
    expect(world.aws.ecr.repositories.has('buildpacks/lifecycle')).toBe(true);
  });

  it('copies its signature with it (referrers on)', async () => {
    expect((await skopeoRaw(`${dest('lifecycle')}:${signatureTag}`, creds())).digest).toMatch(/^sha256:/);
  });

  it('writes the lifecycle image before the builders and reports it as an image of the run', () => {
    const written = (name: string) => run.printed.search(new RegExp(`→ ${dest(name)}@`));
    expect(written('lifecycle')).toBeGreaterThan(-1);
    expect(written('lifecycle')).toBeLessThan(written('builder-jammy-base'));
    expect(written('lifecycle')).toBeLessThan(written('builder-old'));
    const images = JSON.parse(run.outputs.images!) as { repository: string; digest: string }[];
    expect(images[0]!.repository).toBe(dest('builder-jammy-base'));
    expect(
      images
        .filter((i) => i.repository === dest('lifecycle'))
        .map((i) => i.digest)
        .sort(),
    ).toEqual([lifecycle['0.20.0']!.digest, lifecycle['0.17.0']!.digest].sort());
  });

  it('ends the job summary with the pack lines, naming each builder its lifecycle image', () => {
    const block = run.summary.slice(run.summary.indexOf('### Build with these builders'));
    expect(block).toContain(`pack build my-app --builder ${dest('builder-jammy-base')}:0.3.13`);
    expect(block).toContain(`pack config lifecycle-image ${dest('lifecycle')}:0.20.0`);
    expect(block).toContain(`pack config lifecycle-image ${dest('lifecycle')}:0.17.0`);
    expect(block).toContain(`pack config trusted-builders add ${dest('builder-old')}:0.1.0`);
  });

  it('re-runs with the lifecycle image up to date, still naming it', async () => {
    const again = await world.runAction(inputs(sources));
    expect(again.code).toBe(0);
    const images = JSON.parse(again.outputs.images!) as { repository: string; bytesUploaded: number }[];
    for (const image of images.filter((i) => i.repository === dest('lifecycle'))) expect(image.bytesUploaded).toBe(0);
    expect(again.summary).toContain(`pack config lifecycle-image ${dest('lifecycle')}:0.20.0`);
  });

  it('fails with one line naming the builder and the version when the version is not at the source, writing nothing', async () => {
    const label = JSON.stringify({
      stack: { runImage: { image: 'index.docker.io/x/run:1' } },
      lifecycle: { version: '0.99.0' },
    });
    await pushRawBuilder({ url: world.source.url }, 'paketobuildpacks/builder-future', label, '2.0.0');
    const builder = `${world.hub.host}/paketobuildpacks/builder-future:2.0.0`;
    const failed = await world.runAction(inputs([builder, sources[2]!], 'missing/'));
    expect(failed.code).not.toBe(0);
    const errors = failed.printed.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${world.hub.host}/buildpacksio/lifecycle:0.99.0 not found`);
    expect(errors[0]).toContain(`builder ${builder} names lifecycle version 0.99.0`);
    for (const name of ['builder-future', 'run-jammy-base', 'lifecycle'])
      expect(await skopeoListTags(`${world.privateRegistry.host}/missing/${name}`, creds())).toEqual([]);
  });
});
