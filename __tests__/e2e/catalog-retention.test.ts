// ECR Public catalog data and public-retention end to end, through `node dist/index.js` and the AWS emulator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pseudoRandomBytes, pushImage, pushIndex, type PushedManifest, type Target } from '../../testbed/images.js';
import { pushBuilder, seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

/** ECR Public catalog data and public-retention, through `node dist/index.js` and the AWS emulator's recorded state. */
describe('end to end: ECR Public catalog data and public retention', () => {
  let world: World;
  let release: PaketoRelease;
  let firstRun: ActionRun;
  const alias = 'paketo-buildpacks';
  const publicInputs = (extra: Record<string, string>): Record<string, string> => ({
    'registry-type': 'public',
    'public-registry-alias': alias,
    'role-to-assume': world.aws.roleArn,
    'aws-region': 'eu-west-1',
    ...extra,
  });
  const callsSince = (start: number) => world.aws.calls.slice(start);
  const catalogOf = (name: string) =>
    world.aws.ecrPublic.repositories.get(name)?.catalogData as Record<string, unknown> | undefined;

  beforeAll(async () => {
    world = await startWorld();
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    firstRun = await world.runAction(
      publicInputs({
        images: [
          release.references.builder,
          release.references.runImage,
          release.references.buildImage,
          ...release.references.buildpacks,
        ].join('\n'),
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  describe('catalog-data: auto', () => {
    it('sets catalog data on every repository it created, from labels and the index platforms', () => {
      expect(firstRun.code).toBe(0);
      const host = world.publicRegistry.host;
      const builder = catalogOf('builder-jammy-base')!;
      expect(builder.description).toBe('A synthetic Paketo-style builder');
      expect(builder.architectures).toEqual(['x86-64', 'ARM 64']);
      expect(builder.operatingSystems).toEqual(['Linux']);
      expect(builder.usageText).toContain(`docker pull ${host}/${alias}/builder-jammy-base:latest`);
      expect(builder.usageText).toContain(`pack build my-app --builder ${host}/${alias}/builder-jammy-base:latest`);
      expect(builder.aboutText).toContain('`example/node` 1.0.0');

      const buildpack = catalogOf('node-engine')!;
      expect(buildpack.description).toBe('Cloud Native Buildpack paketo-buildpacks/node-engine');
      expect(buildpack.architectures).toEqual(['x86-64']);
      expect(buildpack.usageText).toContain(`--buildpack docker://${host}/${alias}/node-engine:latest`);
      expect(buildpack.usageText).not.toContain('--builder ' + host);

      const runImage = catalogOf('run-jammy-base')!;
      expect(runImage.description).toBe('Cloud Native Buildpacks stack image (stack io.buildpacks.stacks.jammy)');
      expect(runImage.architectures).toEqual(['x86-64', 'ARM 64']);

      const puts = world.aws.calls.filter(
        (c) => c.service === 'ecr-public' && c.operation === 'PutRepositoryCatalogData' && c.allowed,
      );
      expect(puts.map((c) => c.params.repositoryName).sort()).toEqual([
        'build-jammy-base',
        'builder-jammy-base',
        'node-engine',
        'npm-install',
        'run-jammy-base',
      ]);
      expect(world.aws.calls.filter((c) => !c.allowed)).toEqual([]);
    });

    it('reports catalog data in the job summary', () => {
      expect(firstRun.summary).toContain('ECR Public Gallery catalog data');
      expect(firstRun.summary).toMatch(/builder-jammy-base<\/td><td>updated/);
    });

    it('makes no catalog calls when every image is already up to date', async () => {
      const start = world.aws.calls.length;
      const again = await world.runAction(
        publicInputs({ images: [release.references.runImage, ...release.references.buildpacks].join('\n') }),
      );
      expect(again.code).toBe(0);
      const operations = callsSince(start).map((c) => c.operation);
      expect(operations).toContain('DescribeRepositories');
      expect(operations).not.toContain('GetRepositoryCatalogData');
      expect(operations).not.toContain('PutRepositoryCatalogData');
    });

    it('reads but does not rewrite unchanged catalog data when a new version is written', async () => {
      // Same image under a new version tag: written (the tag is new), and `latest` keeps the text the same.
      const target: Target = { url: world.source.url };
      const index = await readIndex(world, 'paketobuildpacks/run-jammy-base', '0.1.2');
      await pushIndex(target, 'paketobuildpacks/run-jammy-base', index.entries, { tag: '0.1.3' });
      const start = world.aws.calls.length;
      const run = await world.runAction(
        publicInputs({ images: `${world.hub.host}/paketobuildpacks/run-jammy-base:0.1.3` }),
      );
      expect(run.code).toBe(0);
      const operations = callsSince(start)
        .filter((c) => c.params.repositoryName === 'run-jammy-base')
        .map((c) => c.operation);
      expect(operations).toContain('GetRepositoryCatalogData');
      expect(operations).not.toContain('PutRepositoryCatalogData');
      expect(run.summary).toMatch(/run-jammy-base<\/td><td>unchanged/);
    });

    it('restores catalog data that was changed elsewhere when it writes a new version', async () => {
      world.aws.ecrPublic.repositories.get('run-jammy-base')!.catalogData = {
        description: 'edited by hand',
        architectures: ['ARM'],
      };
      const index = await readIndex(world, 'paketobuildpacks/run-jammy-base', '0.1.2');
      await pushIndex({ url: world.source.url }, 'paketobuildpacks/run-jammy-base', index.entries, { tag: '0.1.4' });
      const run = await world.runAction(
        publicInputs({ images: `${world.hub.host}/paketobuildpacks/run-jammy-base:0.1.4` }),
      );
      expect(run.code).toBe(0);
      const restored = catalogOf('run-jammy-base')!;
      expect(restored.description).toBe('Cloud Native Buildpacks stack image (stack io.buildpacks.stacks.jammy)');
      expect(restored.architectures).toEqual(['x86-64', 'ARM 64']);
    });

    it('leaves catalog data alone with catalog-data: false', async () => {
      world.aws.ecrPublic.repositories.get('run-jammy-base')!.catalogData = { description: 'hand-written' };
      const index = await readIndex(world, 'paketobuildpacks/run-jammy-base', '0.1.2');
      await pushIndex({ url: world.source.url }, 'paketobuildpacks/run-jammy-base', index.entries, { tag: '0.1.5' });
      const start = world.aws.calls.length;
      const run = await world.runAction(
        publicInputs({ images: `${world.hub.host}/paketobuildpacks/run-jammy-base:0.1.5`, 'catalog-data': 'false' }),
      );
      expect(run.code).toBe(0);
      expect(callsSince(start).some((c) => c.operation.endsWith('RepositoryCatalogData'))).toBe(false);
      expect(catalogOf('run-jammy-base')).toEqual({ description: 'hand-written' });
    });
  });

  describe('public-retention', () => {
    const repositoryName = 'retained';
    const path = `${alias}/${repositoryName}`;
    /** version → index digest and child digests, as seeded in the destination. */
    const seeded = new Map<string, { index: string; children: string[] }>();
    let sharedChild: string;
    let newVersion: { index: string; children: string[] };
    let dryRun: ActionRun;
    let dryRunCalls: { operation: string; service: string }[];
    let retentionRun: ActionRun;
    let retentionCalls: { operation: string; params: Record<string, unknown> }[];

    const twoPlatformIndex = async (
      target: Target,
      repository: string,
      seed: number,
      tag: string,
      amd64?: PushedManifest,
    ) => {
      const amd = amd64 ?? (await pushImage(target, repository, { layers: [pseudoRandomBytes(2_000, seed)] }));
      const arm = await pushImage(target, repository, {
        architecture: 'arm64',
        layers: [pseudoRandomBytes(2_000, seed + 1)],
      });
      const index = await pushIndex(
        target,
        repository,
        [
          { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
          { manifest: arm, platform: { os: 'linux', architecture: 'arm64' } },
        ],
        { tag },
      );
      return { index: index.digest, children: [amd.digest, arm.digest], amd };
    };

    const versions = ['0.2.0', '0.2.1', '0.2.2', '0.2.3', '0.2.4', '0.3.0', '0.3.1', '0.3.2', '0.3.3', '0.3.4'];
    const inputs = (extra: Record<string, string>) =>
      publicInputs({
        images: `${world.hub.host}/paketobuildpacks/retained:0.3.5`,
        tags: '{{tag}}\n{{major}}.{{minor}}\nlatest',
        'public-retention': '3',
        ...extra,
      });

    beforeAll(async () => {
      world.aws.ecrPublic.addRepository(repositoryName);
      const destination: Target = { url: world.publicRegistry.url, authorization: world.publicRegistry.authorization };
      let amd021: PushedManifest | undefined;
      for (const [i, version] of versions.entries()) {
        // 0.2.2 shares its amd64 image with 0.2.1, which `stable` keeps.
        const pushed = await twoPlatformIndex(
          destination,
          path,
          1000 + i * 10,
          version,
          version === '0.2.2' ? amd021 : undefined,
        );
        if (version === '0.2.1') amd021 = pushed.amd;
        seeded.set(version, { index: pushed.index, children: pushed.children });
      }
      sharedChild = amd021!.digest;
      const tagAlso = async (version: string, tag: string) => {
        const manifest = await world.aws.ecrPublic.images.registry.getManifest(path, version);
        await world.aws.ecrPublic.images.registry.putManifest(path, tag, manifest!.bytes, manifest!.mediaType);
      };
      await tagAlso('0.2.4', '0.2');
      await tagAlso('0.3.4', '0.3');
      await tagAlso('0.3.4', 'latest');
      await tagAlso('0.2.1', 'stable');
      const source = await twoPlatformIndex({ url: world.source.url }, 'paketobuildpacks/retained', 5000, '0.3.5');
      newVersion = { index: source.index, children: source.children };

      let start = world.aws.calls.length;
      dryRun = await world.runAction(inputs({ 'dry-run': 'true' }));
      dryRunCalls = callsSince(start);
      start = world.aws.calls.length;
      retentionRun = await world.runAction(inputs({}));
      retentionCalls = callsSince(start);
    }, 180_000);

    const expectedDeletedIndexes = () =>
      ['0.2.0', '0.2.2', '0.2.3', '0.3.0', '0.3.1', '0.3.2'].map((v) => seeded.get(v)!.index);
    const expectedKeptIndexes = () =>
      ['0.2.1', '0.2.4', '0.3.3', '0.3.4'].map((v) => seeded.get(v)!.index).concat(newVersion.index);
    const deletedLogged = (run: ActionRun, pattern: RegExp) =>
      [...run.printed.matchAll(pattern)].map((m) => m[1]!).sort();

    it('keeps the newest 3 versions, every image a kept tag points to, and the children of kept indexes', async () => {
      expect(retentionRun.stderr).not.toMatch(/error/i);
      expect(retentionRun.code).toBe(0);
      const images = await world.aws.ecrPublic.images.listImages(path);
      const tagsByDigest = new Map(images.map((image) => [image.digest, image.tags]));
      expect(tagsByDigest.get(newVersion.index)).toEqual(['0.3', '0.3.5', 'latest']);
      expect(tagsByDigest.get(seeded.get('0.3.4')!.index)).toEqual(['0.3.4']);
      expect(tagsByDigest.get(seeded.get('0.3.3')!.index)).toEqual(['0.3.3']);
      expect(tagsByDigest.get(seeded.get('0.2.4')!.index)).toEqual(['0.2', '0.2.4']);
      expect(tagsByDigest.get(seeded.get('0.2.1')!.index)).toEqual(['0.2.1', 'stable']);
      const remainingTags = images.flatMap((image) => image.tags).sort();
      expect(remainingTags).toEqual(['0.2', '0.2.1', '0.2.4', '0.3', '0.3.3', '0.3.4', '0.3.5', 'latest', 'stable']);
      for (const index of expectedKeptIndexes()) {
        const children = [...seeded.values(), newVersion].find((s) => s.index === index)!.children;
        for (const child of children)
          expect(await world.aws.ecrPublic.images.registry.getManifest(path, child)).toBeDefined();
      }
      expect(await world.aws.ecrPublic.images.registry.getManifest(path, sharedChild)).toBeDefined();
    });

    it('deletes exactly the older versions, indexes before their children, with BatchDeleteImage', () => {
      // Indexes go by their tags (ECR deletes an image with its last tag), children by digest.
      const deletedByTag = world.aws.ecrPublic.deletedImages.filter(
        (d) => d.repositoryPath === path && d.imageTag !== undefined,
      );
      expect(deletedByTag.map((d) => d.imageDigest).sort()).toEqual(expectedDeletedIndexes().sort());
      const batches = retentionCalls
        .filter((c) => c.operation === 'BatchDeleteImage')
        .map((c) =>
          (c.params.imageIds as { imageDigest?: string; imageTag?: string }[]).map(
            (id) => id.imageDigest ?? `tag:${id.imageTag}`,
          ),
        );
      expect(batches.length).toBe(2);
      expect([...batches[0]!].sort()).toEqual(
        ['0.2.0', '0.2.2', '0.2.3', '0.3.0', '0.3.1', '0.3.2'].map((v) => `tag:${v}`),
      );
      const children = ['0.2.0', '0.2.2', '0.2.3', '0.3.0', '0.3.1', '0.3.2']
        .flatMap((v) => seeded.get(v)!.children)
        .filter((c) => c !== sharedChild);
      expect([...batches[1]!].sort()).toEqual([...new Set(children)].sort());
      expect(batches.flat()).not.toContain(sharedChild);
      expect(world.aws.calls.filter((c) => !c.allowed)).toEqual([]);
    });

    it('reports what it deleted in the log and the job summary', () => {
      const logged = deletedLogged(retentionRun, /Deleted retained@(sha256:[a-f0-9]{64}) \(tags /g);
      expect(logged).toEqual(expectedDeletedIndexes().sort());
      expect(retentionRun.summary).toContain('Deleted by public-retention');
      expect(retentionRun.summary).toContain('0.3.5, 0.3.4, 0.3.3');
      for (const digest of expectedDeletedIndexes())
        expect(retentionRun.summary).toContain(digest.slice('sha256:'.length, 'sha256:'.length + 12));
    });

    it('dry-run lists the same deletions and deletes nothing', () => {
      expect(dryRun.code).toBe(0);
      const operations = dryRunCalls.map((c) => c.operation);
      expect(operations).toContain('DescribeImages');
      for (const writing of ['BatchDeleteImage', 'CreateRepository', 'PutRepositoryCatalogData', 'PutImage'])
        expect(operations).not.toContain(writing);
      const wouldDelete = deletedLogged(dryRun, /\[dry-run\] would delete retained@(sha256:[a-f0-9]{64}) \(tags /g);
      expect(wouldDelete).toEqual(expectedDeletedIndexes().sort());
      expect(dryRun.summary).toContain('Would delete by public-retention');
    });

    it('dry-run without retention makes no AWS calls at all', async () => {
      const start = world.aws.calls.length;
      const run = await world.runAction(inputs({ 'dry-run': 'true', 'public-retention': '0' }));
      expect(run.code).toBe(0);
      expect(callsSince(start)).toEqual([]);
      expect(run.summary).not.toContain('Retention');
    });

    it('a second run deletes nothing more', async () => {
      const before = world.aws.ecrPublic.deletedImages.length;
      const start = world.aws.calls.length;
      const again = await world.runAction(inputs({}));
      expect(again.code).toBe(0);
      expect(world.aws.ecrPublic.deletedImages.length).toBe(before);
      expect(callsSince(start).map((c) => c.operation)).not.toContain('BatchDeleteImage');
    });
    it('keeps an old version that this run published (a backfill), though it is not among the newest 3', async () => {
      const backfill = await twoPlatformIndex({ url: world.source.url }, 'paketobuildpacks/retained', 6000, '0.1.0');
      const run = await world.runAction(
        inputs({ images: `${world.hub.host}/paketobuildpacks/retained:0.1.0`, tags: '{{tag}}' }),
      );
      expect(run.code).toBe(0);
      const images = await world.aws.ecrPublic.images.listImages(path);
      expect(images.find((image) => image.digest === backfill.index)?.tags).toEqual(['0.1.0']);
      expect(run.printed).toContain('public-retention: retained keeps 0.3.5, 0.3.4, 0.3.3; deleted 0 image(s).');
      expect(run.summary).toMatch(
        /retained<\/td><td>0\.3\.5, 0\.3\.4, 0\.3\.3<\/td><td>0\.2\.4, 0\.2\.1, 0\.1\.0<\/td><td>0</,
      );
      // The next run that does not publish it lets retention have it.
      const next = await world.runAction(inputs({}));
      expect(next.code).toBe(0);
      expect(deletedLogged(next, /Deleted retained@(sha256:[a-f0-9]{64}) \(tags /g)).toEqual([backfill.index]);
    });

    it('never deletes a run image that a kept builder names as its mirror, in this run or from an earlier release', async () => {
      const source: Target = { url: world.source.url };
      const builderRef = (tag: string) => `${world.hub.host}/paketobuildpacks/retained-builder:${tag}`;
      const runRef = (tag: string) => `${world.hub.host}/paketobuildpacks/retained:${tag}`;
      const tagsOf = async () =>
        (await world.aws.ecrPublic.images.listImages(path)).flatMap((image) => image.tags).sort();
      // Builder 1.0.0 runs on 0.3.3, which 0.3.6 pushes out of the newest 3.
      await pushBuilder(source, 'paketobuildpacks/retained-builder', {
        runImage: 'index.docker.io/paketobuildpacks/retained:0.3.3',
        tag: '1.0.0',
        platforms: ['amd64'],
      });
      await twoPlatformIndex(source, 'paketobuildpacks/retained', 7000, '0.3.6');
      const first = await world.runAction(
        inputs({ images: [runRef('0.3.6'), builderRef('1.0.0')].join('\n'), tags: '{{tag}}' }),
      );
      expect(first.code).toBe(0);
      expect(await tagsOf()).toEqual(expect.arrayContaining(['0.3.3', '0.3.4', '0.3.5', '0.3.6']));
      // Builder 1.1.0 moves to 0.3.6; builder 1.0.0 is still kept, and its label still names 0.3.3.
      await pushBuilder(source, 'paketobuildpacks/retained-builder', {
        runImage: 'index.docker.io/paketobuildpacks/retained:0.3.6',
        tag: '1.1.0',
        platforms: ['arm64'],
      });
      await twoPlatformIndex(source, 'paketobuildpacks/retained', 8000, '0.3.7');
      const second = await world.runAction(
        inputs({ images: [runRef('0.3.7'), builderRef('1.1.0')].join('\n'), tags: '{{tag}}' }),
      );
      expect(second.code).toBe(0);
      const tags = await tagsOf();
      expect(tags).toEqual(expect.arrayContaining(['0.3.3', '0.3.5', '0.3.6', '0.3.7']));
      expect(tags).not.toContain('0.3.4');
      expect(world.aws.calls.filter((c) => !c.allowed)).toEqual([]);
    });
  });
});

/** The entries of an index in the source registry, to push again under another tag. */
async function readIndex(world: World, repository: string, tag: string) {
  const response = await fetch(`${world.source.url}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  const index = (await response.json()) as {
    manifests: { digest: string; size: number; mediaType: string; platform: { os: string; architecture: string } }[];
  };
  return {
    entries: index.manifests.map((m) => ({
      manifest: { bytes: Buffer.alloc(0), digest: m.digest, size: m.size, mediaType: m.mediaType },
      platform: m.platform,
    })),
  };
}
