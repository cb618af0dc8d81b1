// Issue 13: every run image of a builder gets its copy, `auto` and `primary`, read back with skopeo and smol-toml;
// pack's run-image choice for each; a mirrored builder's re-run reads and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inputs } from '../../src/inputs.js';
import { publish } from '../../src/publish/publish.js';
import type { PublishedImage, PublishReport } from '../../src/publish/report.js';
import { pseudoRandomBytes, pushImage, type Target } from '../../testbed/images.js';
import { readPublishedBuilder, type PublishedBuilder } from '../../testbed/published-builder.js';
import { pushBuilder, seedPaketoRelease } from '../../testbed/release.js';
import { startWorld, type World } from '../../testbed/world.js';
import { inputsFor } from '../fixtures/inputs.js';
import { capturingLogger, testRuntime, type CapturingLogger } from '../support/runtime.js';
import { fakeGitHub } from '../support/github-bridge.js';

const ORG = 'paketobuildpacks';
const ALIAS = 'paketo-buildpacks';
const BASE = `index.docker.io/${ORG}/run-jammy-base:latest`;
const FULL = `index.docker.io/${ORG}/run-jammy-full:latest`;
const TINY = `index.docker.io/${ORG}/run-jammy-tiny:latest`;
/** Builder → the run images its label names, first one also in `stack.runImage`. */
const BUILDERS: Record<string, string[]> = {
  'builder-two': [BASE, FULL], // current pack, 2-platform index
  'builder-two-single': [BASE, FULL], // current pack, one manifest
  'builder-old': [BASE], // `stack` only, 2-platform index
  'builder-old-single': [BASE], // `stack` only, one manifest
};

/** go-containerregistry's registry of a name: the first component when it looks like a host, else Docker Hub. */
function registryOf(name: string): string {
  const first = name.split('/')[0]!;
  return name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'index.docker.io';
}

/**
 * pack's choice of run image, from its source (pkg/client `resolveRunImage`, `getBestRunMirror`) and the
 * lifecycle's (`platform/run_image.go` `BestRunImageMirrorFor`): the target registry is the app image's
 * with `--publish`, else the builder's; the first of image-then-mirrors on that registry wins, else the
 * first readable name.
 */
function packChoice(
  entry: { image: string; mirrors?: string[] | null },
  build: { publish: boolean; appRegistry: string; builderRegistry: string },
): string {
  const target = build.publish ? build.appRegistry : build.builderRegistry;
  const names = [entry.image, ...(entry.mirrors ?? [])]; // every name is readable here
  return names.find((name) => registryOf(name) === target) ?? names[0]!;
}

let world: World;

describe('builder run-image mirrors: every run image, auto and primary, re-runs', () => {
  let tempDir: string;
  let source: Target;
  const savedEnv: Record<string, string | undefined> = {};
  let logger: CapturingLogger;
  const runs: Record<string, PublishReport> = {};
  const logs: Record<string, CapturingLogger> = {};
  const counts: Record<string, { sourceBlobReads: number; destinationWrites: number }> = {};
  const read: Record<string, PublishedBuilder> = {};

  const from = (name: string, tag: string) => `${world.hub.host}/${ORG}/${name}:${tag}`;
  const release = () => [
    from('run-jammy-base', '0.1.2'),
    from('run-jammy-full', '0.1.2'),
    ...Object.keys(BUILDERS).map((b) => from(b, '1.0.0')),
    from('builder-partial', '1.0.0'),
  ];
  const host = (kind: 'public' | 'private') => (kind === 'public' ? world.publicRegistry : world.privateRegistry);
  const copyOf = (kind: 'public' | 'private', runImage: string) => {
    const name = runImage.split('/').pop()!;
    return kind === 'public' ? `${host(kind).host}/${ALIAS}/${name}` : `${host(kind).host}/ecr/${name}`;
  };
  const creds = (kind: 'public' | 'private') => ({ username: 'AWS', password: host(kind).password });
  const inputs = (kind: 'public' | 'private', mode: 'auto' | 'primary', images = release()): Inputs =>
    inputsFor(images, {
      registryType: kind,
      runImageMirror: mode,
      roleToAssume: world.aws.roleArn,
      referrers: false,
      ...(kind === 'public'
        ? { publicRegistryAlias: ALIAS, awsRegion: 'eu-west-1' }
        : { awsRegion: world.aws.region, repositoryPrefix: 'ecr/' }),
    });
  const run = async (key: string, kind: 'public' | 'private', given: Inputs): Promise<PublishReport> => {
    logger = capturingLogger();
    for (const proxy of [world.hub.front, world.hub.cdn, world.doors!.public, world.doors!.private]) proxy.reset();
    const report = await publish(given, { runtime: testRuntime(logger), github: fakeGitHub(world.aws.env()), tempDir });
    const door = world.doors![kind];
    counts[key] = {
      sourceBlobReads: world.hub.front.countBy('GET', /\/blobs\//) + world.hub.cdn.countBy('GET'),
      destinationWrites: ['PUT', 'POST', 'PATCH', 'DELETE'].reduce((sum, method) => sum + door.countBy(method), 0),
    };
    runs[key] = report;
    logs[key] = logger;
    return report;
  };
  const builder = (key: string, name: string): PublishedImage =>
    runs[key]!.images.find((image) => image.repositoryName.endsWith(name))!;
  const readBack = async (key: string, kind: 'public' | 'private', name: string) => {
    const repository = kind === 'public' ? `${ALIAS}/${name}` : `ecr/${name}`;
    read[`${key} ${name}`] = await readPublishedBuilder(`${host(kind).host}/${repository}:1.0.0`, creds(kind));
  };

  beforeAll(async () => {
    world = await startWorld({ doors: true });
    source = { url: world.source.url };
    tempDir = mkdtempSync(join(tmpdir(), 'builder-mirrors-'));
    for (const [name, value] of Object.entries(world.aws.env())) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    await seedPaketoRelease(source, world.hub.host, ORG);
    for (const [i, name] of ['run-jammy-full', 'run-jammy-tiny'].entries()) {
      const labels = { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' };
      await pushImage(source, `${ORG}/${name}`, { layers: [pseudoRandomBytes(30_000, 500 + i)], labels }, '0.1.2');
    }
    for (const [name, runImages] of Object.entries(BUILDERS)) {
      await pushBuilder(source, `${ORG}/${name}`, {
        runImage: runImages[0]!,
        extraRunImages: runImages.slice(1),
        ...(name.startsWith('builder-old') ? { shape: 'stack' as const } : {}),
        ...(name.endsWith('-single') ? { singleManifest: true, platforms: ['amd64' as const] } : {}),
        tag: '1.0.0',
      });
    }
    await pushBuilder(source, `${ORG}/builder-partial`, { runImage: BASE, extraRunImages: [TINY], tag: '1.0.0' });

    await run('public auto', 'public', inputs('public', 'auto'));
    await run('public auto again', 'public', inputs('public', 'auto'));
    for (const name of [...Object.keys(BUILDERS), 'builder-partial']) await readBack('public auto', 'public', name);
    await run('public primary', 'public', inputs('public', 'primary'));
    for (const name of Object.keys(BUILDERS)) await readBack('public primary', 'public', name);
    await run('private primary', 'private', inputs('private', 'primary'));
    for (const name of Object.keys(BUILDERS)) await readBack('private primary', 'private', name);
    await run('private primary again', 'private', inputs('private', 'primary'));
    // TINY gets its copy; the next run of the partial builder must not take it for up to date.
    await run('tiny', 'public', inputs('public', 'primary', [from('run-jammy-tiny', '0.1.2')]));
    await run('partial again', 'public', inputs('public', 'primary', [from('builder-partial', '1.0.0')]));
    await readBack('partial again', 'public', 'builder-partial');
  }, 300_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await world?.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  });

  /** What each run image must read as, in the label and in run.toml / stack.toml, built from the test's own table. */
  const expected = (kind: 'public' | 'private', mode: 'auto' | 'primary', runImage: string) =>
    mode === 'auto'
      ? { image: runImage, mirrors: [copyOf(kind, runImage)] }
      : { image: copyOf(kind, runImage), mirrors: [runImage] };

  for (const [key, kind, mode] of [
    ['public auto', 'public', 'auto'],
    ['public primary', 'public', 'primary'],
    ['private primary', 'private', 'primary'],
  ] as const) {
    it(`${key}: every run image of every platform has its copy in the label, run.toml and stack.toml`, () => {
      for (const [name, runImages] of Object.entries(BUILDERS)) {
        const published = read[`${key} ${name}`]!;
        expect(published.digest).toBe(builder(key, name).digest);
        expect(published.platforms).toHaveLength(name.endsWith('-single') ? 1 : 2);
        const images = runImages.map((r) => expected(kind, mode, r));
        for (const platform of published.platforms) {
          if (name.startsWith('builder-old')) expect(platform.label).not.toHaveProperty('images');
          else expect(platform.label.images).toEqual(images);
          expect(platform.label.stack?.runImage).toEqual(images[0]);
          expect(platform.runToml).toEqual({ images });
          expect(platform.stackToml).toEqual({ 'run-image': images[0] });
          for (const k of ['description', 'buildpacks', 'lifecycle', 'createdBy'])
            expect(platform.label[k]).toBeDefined();
        }
        expect(builder(key, name).mirror).toMatchObject({
          mode,
          runImages: runImages.map((r) => ({ source: r, copy: copyOf(kind, r) })),
        });
      }
    });
  }

  it('names a run image without a copy in a warning and leaves it as it is', () => {
    const warnings = logs['public auto']!.entries.filter((e) => e.level === 'warning').map((e) => e.message);
    expect(warnings).toEqual([expect.stringMatching(/builder-partial.*run-jammy-tiny:latest/)]);
    for (const platform of read['public auto builder-partial']!.platforms) {
      expect(platform.label.images).toEqual([expected('public', 'auto', BASE), { image: TINY, mirrors: [] }]);
      expect(platform.runToml).toEqual({ images: [expected('public', 'auto', BASE), { image: TINY }] });
    }
    expect(builder('public auto', 'builder-partial').mirror?.runImages).toEqual([
      { source: BASE, copy: copyOf('public', BASE) },
    ]);
  });

  it('shows which run image pack picks for the ECR Public builder, in auto and primary', () => {
    const publicHost = world.publicRegistry.host;
    const privateHost = world.privateRegistry.host;
    const cases = {
      'app published to ECR Public': { publish: true, appRegistry: publicHost, builderRegistry: publicHost },
      'app published to private ECR': { publish: true, appRegistry: privateHost, builderRegistry: publicHost },
      'local build with the ECR builder': {
        publish: false,
        appRegistry: 'index.docker.io',
        builderRegistry: publicHost,
      },
    };
    const choices: Record<string, Record<string, string[]>> = {};
    for (const mode of ['auto', 'primary'] as const) {
      const label = read[`public ${mode} builder-two`]!.platforms[0]!.label;
      choices[mode] = Object.fromEntries(
        Object.entries(cases).map(([what, build]) => [what, label.images!.map((entry) => packChoice(entry, build))]),
      );
    }
    const ecr = [copyOf('public', BASE), copyOf('public', FULL)];
    expect(choices).toEqual({
      // auto: an app pushed anywhere but ECR Public still pulls its run image from Docker Hub
      auto: {
        'app published to ECR Public': ecr,
        'app published to private ECR': [BASE, FULL],
        'local build with the ECR builder': ecr,
      },
      primary: {
        'app published to ECR Public': ecr,
        'app published to private ECR': ecr,
        'local build with the ECR builder': ecr,
      },
    });
  });

  it('re-runs a mirrored builder up to date: no source blob read, nothing written, the same digests', () => {
    for (const [again, first] of [
      ['public auto again', 'public auto'],
      ['private primary again', 'private primary'],
    ] as const) {
      expect(counts[again]).toEqual({ sourceBlobReads: 0, destinationWrites: 0 });
      for (const name of Object.keys(BUILDERS)) {
        expect(builder(again, name)).toMatchObject({
          upToDate: true,
          mutated: true,
          digest: builder(first, name).digest,
        });
        expect(builder(again, name).mirror?.runImages).toEqual(builder(first, name).mirror?.runImages);
      }
    }
  });

  it('does not take a changed mode or a newly available copy for up to date', () => {
    for (const name of Object.keys(BUILDERS)) {
      expect(builder('public primary', name).upToDate).toBe(false);
      expect(builder('public primary', name).digest).not.toBe(builder('public auto', name).digest);
    }
    const partial = builder('partial again', 'builder-partial');
    expect(partial.upToDate).toBe(false);
    expect(partial.mirror?.runImages.map((r) => r.source)).toEqual([BASE, TINY]);
    for (const platform of read['partial again builder-partial']!.platforms)
      expect(platform.runToml).toEqual({
        images: [expected('public', 'primary', BASE), expected('public', 'primary', TINY)],
      });
  });
});
