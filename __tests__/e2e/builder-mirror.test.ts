import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseToml } from 'smol-toml';
import { DOCKER_LIST, DOCKER_MANIFEST, pushImage, sha256, type Target } from '../../testbed/images.js';
import {
  builderLabel,
  pushBuilder,
  pushCosignSignature,
  pushRawBuilder,
  seedPaketoRelease,
  type PaketoRelease,
} from '../../testbed/release.js';
import {
  readLayoutImage,
  skopeoConfig,
  skopeoCopyToLayout,
  skopeoDigestOrNull,
  skopeoListTags,
  skopeoRaw,
  type LayoutImage,
  type LayoutPlatformImage,
} from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const exec = promisify(execFile);

const ORG = 'paketobuildpacks';
const ALIAS = 'paketo-buildpacks';
const RUN_IMAGE = `index.docker.io/${ORG}/run-jammy-base:latest`;
const BUILDER_LABEL = 'io.buildpacks.builder.metadata';
const SOURCE_DIGEST_ANNOTATION = 'io.ecr-publish.source-digest';

interface ImageOutput {
  source: string;
  sourceDigest: string;
  repository: string;
  digest: string;
  tags: string[];
  mutated: boolean;
  platforms: string[];
  bytesUploaded: number;
}

const imagesOf = (run: ActionRun): ImageOutput[] => JSON.parse(run.outputs.images ?? '[]') as ImageOutput[];
const imageNamed = (run: ActionRun, name: string): ImageOutput => {
  const found = imagesOf(run).find((i) => i.repository.endsWith(`/${name}`));
  if (found === undefined) throw new Error(`no ${name} in the images output: ${run.outputs.images}`);
  return found;
};
const errorLines = (run: ActionRun): string[] => run.printed.split('\n').filter((line) => line.startsWith('::error::'));
const labelOf = (image: LayoutPlatformImage): string =>
  (image.config['config'] as { Labels: Record<string, string> }).Labels[BUILDER_LABEL]!;

interface TarEntry {
  mode: string;
  owner: string;
  date: string;
  name: string;
}

/** A layer as the system tar sees it: `tar -tzvf` entries and the files `tar -xzf` unpacks. */
async function unpackLayer(layer: Buffer): Promise<{ entries: TarEntry[]; files: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'builder-mirror-layer-'));
  try {
    const file = join(dir, 'layer.tar.gz');
    writeFileSync(file, layer);
    const { stdout } = await exec('tar', ['--numeric-owner', '-tzvf', file]);
    const entries = stdout
      .trim()
      .split('\n')
      .map((line) => {
        const match = /^(\S+) (\S+)\s+\d+ (\S+ \S+) (.+)$/.exec(line);
        if (match === null) throw new Error(`unexpected tar listing line: ${line}`);
        return { mode: match[1]!, owner: match[2]!, date: match[3]!, name: match[4]! };
      });
    const out = join(dir, 'out');
    await exec('mkdir', [out]);
    await exec('tar', ['-xzf', file, '-C', out]);
    const files: Record<string, string> = {};
    const walk = (at: string): void => {
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        const path = join(at, entry.name);
        if (entry.isDirectory()) walk(path);
        else files[relative(out, path)] = readFileSync(path, 'utf8');
      }
    };
    walk(out);
    return { entries, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('end to end: builder run-image mirrors', () => {
  let world: World;
  let release: PaketoRelease;
  let source: Target;
  const layoutDirs: string[] = [];
  const sourceDigests: Record<string, string> = {};
  let publicMirror: string;
  let privateMirror: string;
  let signatureTag: string;
  let first: ActionRun;
  let second: ActionRun;
  let privateRun: ActionRun;
  let verbatimRun: ActionRun;
  let primaryRun: ActionRun;
  const layouts: Record<string, LayoutImage> = {};
  const tagsAfterFirst: Record<string, string | null> = {};

  const from = (name: string, tag: string) => `${world.hub.host}/${ORG}/${name}:${tag}`;
  const publicCreds = () => ({ username: 'AWS', password: world.publicRegistry.password });
  const privateCreds = () => ({ username: 'AWS', password: world.privateRegistry.password });
  const publicRef = (name: string, tag: string) => `${world.publicRegistry.host}/${ALIAS}/${name}:${tag}`;
  const publicInputs = (images: string[]) => ({
    images: images.join('\n'),
    'registry-type': 'public',
    'public-registry-alias': ALIAS,
    'role-to-assume': world.aws.roleArn,
    'aws-region': 'eu-west-1',
  });
  const privateInputs = (images: string[], prefix: string, extra: Record<string, string> = {}) => ({
    images: images.join('\n'),
    'registry-type': 'private',
    'aws-region': world.aws.region,
    'role-to-assume': world.aws.roleArn,
    'repository-prefix': prefix,
    ...extra,
  });
  const layout = async (key: string, reference: string, creds?: { username: string; password: string | undefined }) => {
    const dir = mkdtempSync(join(tmpdir(), 'builder-mirror-oci-'));
    layoutDirs.push(dir);
    await skopeoCopyToLayout(reference, dir, 'it', creds);
    layouts[key] = readLayoutImage(dir, 'it');
    return dir;
  };
  const layoutBlobPath = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const layoutDirOf: Record<string, string> = {};

  const builders = [
    'builder-jammy-base:0.3.13',
    'builder-old-pack:0.1.0',
    'builder-docker:0.4.0',
    'builder-mirrored:0.2.0',
    'builder-unlabelled:1.0.0',
  ];
  let dockerBuilder: Awaited<ReturnType<typeof pushBuilder>>;

  beforeAll(async () => {
    world = await startWorld();
    source = { url: world.source.url };
    release = await seedPaketoRelease(source, world.hub.host, ORG);
    publicMirror = `${world.publicRegistry.host}/${ALIAS}/run-jammy-base:latest`;
    privateMirror = `${world.privateRegistry.host}/mirrored/run-jammy-base:latest`;
    sourceDigests['builder-jammy-base'] = release.digests['builder-jammy-base']!;
    sourceDigests['run-jammy-base'] = release.digests['run-jammy-base']!;
    signatureTag = (await pushCosignSignature(source, `${ORG}/builder-jammy-base`, sourceDigests['builder-jammy-base']))
      .tag;
    sourceDigests['builder-old-pack'] = (
      await pushBuilder(source, `${ORG}/builder-old-pack`, { runImage: RUN_IMAGE, shape: 'stack', tag: '0.1.0' })
    ).index.digest;
    dockerBuilder = await pushBuilder(source, `${ORG}/builder-docker`, {
      runImage: RUN_IMAGE,
      family: 'docker',
      tag: '0.4.0',
    });
    sourceDigests['builder-docker'] = dockerBuilder.index.digest;
    sourceDigests['builder-mirrored'] = (
      await pushBuilder(source, `${ORG}/builder-mirrored`, {
        runImage: RUN_IMAGE,
        existingMirrors: [publicMirror],
        tag: '0.2.0',
      })
    ).index.digest;
    sourceDigests['builder-unlabelled'] = (
      await pushImage(
        source,
        `${ORG}/builder-unlabelled`,
        {
          layers: [Buffer.from('no builder label here')],
          labels: { 'org.opencontainers.image.title': 'not a builder' },
        },
        '1.0.0',
      )
    ).digest;
    // Failure cases, each published on its own.
    await pushBuilder(source, `${ORG}/builder-orphan`, {
      runImage: `index.docker.io/${ORG}/run-orphan-base:latest`,
      platforms: ['amd64'],
      tag: '1.0.0',
    });
    await pushBuilder(source, `${ORG}/builder-stale`, {
      runImage: `index.docker.io/${ORG}/run-jammy-base:9.9.9`,
      platforms: ['amd64'],
      tag: '1.0.0',
    });
    await pushBuilder(source, `${ORG}/builder-windows`, {
      runImage: RUN_IMAGE,
      os: 'windows',
      platforms: ['amd64'],
      tag: '1.0.0',
    });
    await pushRawBuilder(source, `${ORG}/builder-bad-label`, '{"description": "truncated", "stack": {', '1.0.0');

    const releaseImages = [
      release.references.runImage,
      ...builders.map((b) => from(b.split(':')[0]!, b.split(':')[1]!)),
    ];
    first = await world.runAction(publicInputs(releaseImages));
    for (const b of builders)
      tagsAfterFirst[b] = await skopeoDigestOrNull(publicRef(b.split(':')[0]!, b.split(':')[1]!), publicCreds());
    // Again, without the run image: it is already in the destination now.
    second = await world.runAction(publicInputs(releaseImages.slice(1)));
    privateRun = await world.runAction(
      privateInputs([release.references.runImage, release.references.builder], 'mirrored/'),
    );
    verbatimRun = await world.runAction(
      privateInputs([release.references.builder], 'verbatim/', { 'run-image-mirror': 'false' }),
    );
    primaryRun = await world.runAction(
      privateInputs([release.references.runImage, release.references.builder], 'primary/', {
        'run-image-mirror': 'primary',
      }),
    );

    layoutDirOf['source-jammy'] = await layout('source-jammy', `${world.source.host}/${ORG}/builder-jammy-base:0.3.13`);
    layoutDirOf['source-old'] = await layout('source-old', `${world.source.host}/${ORG}/builder-old-pack:0.1.0`);
    layoutDirOf['public-jammy'] = await layout(
      'public-jammy',
      publicRef('builder-jammy-base', '0.3.13'),
      publicCreds(),
    );
    layoutDirOf['public-old'] = await layout('public-old', publicRef('builder-old-pack', '0.1.0'), publicCreds());
    layoutDirOf['private-jammy'] = await layout(
      'private-jammy',
      `${world.privateRegistry.host}/mirrored/builder-jammy-base:0.3.13`,
      privateCreds(),
    );
  }, 180_000);

  afterAll(async () => {
    for (const dir of layoutDirs) rmSync(dir, { recursive: true, force: true });
    await world?.close();
  });

  it('publishes every builder of the release and reports which were mutated', () => {
    expect(errorLines(first)).toEqual([]);
    expect(first.code).toBe(0);
    const jammy = imageNamed(first, 'builder-jammy-base');
    expect(jammy).toMatchObject({
      mutated: true,
      sourceDigest: sourceDigests['builder-jammy-base'],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(jammy.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(jammy.digest).not.toBe(jammy.sourceDigest);
    expect(imageNamed(first, 'builder-old-pack')).toMatchObject({
      mutated: true,
      sourceDigest: sourceDigests['builder-old-pack'],
    });
    expect(imageNamed(first, 'run-jammy-base')).toMatchObject({
      mutated: false,
      digest: sourceDigests['run-jammy-base'],
    });
    // What skopeo reads is what the output says.
    expect(tagsAfterFirst['builder-jammy-base:0.3.13']).toBe(jammy.digest);
    expect(layouts['public-jammy']!.digest).toBe(jammy.digest);
  });

  it('says in the job summary which builders were mutated', () => {
    const rows = first.summary.split('<tr>').map((row) => row.split('</tr>')[0]!);
    const rowOf = (name: string) => rows.find((row) => row.includes(`/${name}<`) || row.includes(`/${name}:`))!;
    expect(rowOf('builder-jammy-base')).toContain('mutated: run-image mirror');
    expect(rowOf('builder-old-pack')).toContain('mutated: run-image mirror');
    expect(rowOf('builder-mirrored')).not.toContain('mutated');
    expect(rowOf('run-jammy-base')).not.toContain('mutated');
    expect(first.summary).toContain(`mirrors ${publicMirror}`);
  });

  it('adds the mirror to the label of every platform and changes no other key', () => {
    for (const [key, shape] of [
      ['jammy', 'both'],
      ['old', 'stack'],
    ] as const) {
      const before = layouts[`source-${key}`]!;
      const after = layouts[`public-${key}`]!;
      expect(after.platforms.map((p) => p.platform)).toEqual(before.platforms.map((p) => p.platform));
      expect(after.platforms).toHaveLength(2);
      for (const [i, platform] of after.platforms.entries()) {
        // Built independently of the code under test, in pack's key order.
        expect(labelOf(before.platforms[i]!)).toBe(builderLabel({ runImage: RUN_IMAGE, shape }));
        expect(labelOf(platform)).toBe(builderLabel({ runImage: RUN_IMAGE, shape, existingMirrors: [publicMirror] }));
        const label = JSON.parse(labelOf(platform)) as {
          images?: { mirrors: string[] }[];
          stack: { runImage: { mirrors: string[] } };
        };
        expect(label.stack.runImage.mirrors).toEqual([publicMirror]);
        if (shape === 'both') expect(label.images![0]!.mirrors).toEqual([publicMirror]);
        else expect(label).not.toHaveProperty('images');
      }
    }
  });

  it('changes nothing else in the config but one diff_id and one history entry', () => {
    for (const key of ['jammy', 'old']) {
      const before = layouts[`source-${key}`]!;
      const after = layouts[`public-${key}`]!;
      for (const [i, platform] of after.platforms.entries()) {
        const restored = JSON.parse(platform.configBytes.toString('utf8')) as {
          config: { Labels: Record<string, string> };
          rootfs: { diff_ids: string[] };
          history: { empty_layer?: boolean }[];
        };
        restored.config.Labels[BUILDER_LABEL] = labelOf(before.platforms[i]!);
        restored.rootfs.diff_ids.pop();
        const added = restored.history.pop();
        expect(added).toBeDefined();
        expect(added!.empty_layer).not.toBe(true);
        expect(JSON.stringify(restored)).toBe(before.platforms[i]!.configBytes.toString('utf8'));
      }
    }
  });

  it('keeps every source layer byte-identical and appends one layer with the two TOML files', async () => {
    for (const key of ['jammy', 'old']) {
      const before = layouts[`source-${key}`]!;
      const after = layouts[`public-${key}`]!;
      const dir = layoutDirOf[`public-${key}`]!;
      for (const [i, platform] of after.platforms.entries()) {
        const sourceLayers = before.platforms[i]!.manifest.layers;
        const layers = platform.manifest.layers;
        expect(layers).toHaveLength(sourceLayers.length + 1);
        expect(layers.slice(0, -1)).toEqual(sourceLayers);
        for (const layer of layers.slice(0, -1))
          expect(sha256(readFileSync(layoutBlobPath(dir, layer.digest)))).toBe(layer.digest);
        const top = layers.at(-1)!;
        expect(top.mediaType).toBe(sourceLayers[0]!.mediaType);
        expect(platform.manifest.annotations?.[SOURCE_DIGEST_ANNOTATION]).toBe(
          sourceDigests[key === 'jammy' ? 'builder-jammy-base' : 'builder-old-pack'],
        );

        const bytes = readFileSync(layoutBlobPath(dir, top.digest));
        expect(bytes.length).toBe(top.size);
        const diffIds = (platform.config['rootfs'] as { diff_ids: string[] }).diff_ids;
        expect(diffIds.at(-1)).toBe(sha256(gunzipSync(bytes)));

        const { entries, files } = await unpackLayer(bytes);
        expect(entries.map((e) => e.name).sort()).toEqual(['cnb/run.toml', 'cnb/stack.toml']);
        for (const entry of entries) {
          expect(entry.mode).toBe('-rw-r--r--'); // a regular file, 0644: no directory entries
          expect(entry.owner).toBe('0/0');
        }
        expect(new Set(entries.map((e) => e.date)).size).toBe(1);
        expect(Object.keys(files).sort()).toEqual(['cnb/run.toml', 'cnb/stack.toml']);
        expect(parseToml(files['cnb/stack.toml']!)).toEqual({
          'run-image': { image: RUN_IMAGE, mirrors: [publicMirror] },
        });
        expect(parseToml(files['cnb/run.toml']!)).toEqual({ images: [{ image: RUN_IMAGE, mirrors: [publicMirror] }] });
      }
    }
  });

  it("keeps each index entry's platform and points it at the new manifest", () => {
    const before = layouts['source-jammy']!;
    const after = layouts['public-jammy']!;
    expect(after.index.manifests.map((m) => m.platform)).toEqual(before.index.manifests.map((m) => m.platform));
    for (const [i, entry] of after.index.manifests.entries()) {
      expect(entry.digest).not.toBe(before.index.manifests[i]!.digest);
      expect(entry.digest).toBe(after.platforms[i]!.digest);
    }
  });

  it('mutates a builder with Docker media types within the Docker family', async () => {
    const builder = imageNamed(first, 'builder-docker');
    expect(builder.mutated).toBe(true);
    const index = await skopeoRaw(
      `${world.publicRegistry.host}/${ALIAS}/builder-docker@${builder.digest}`,
      publicCreds(),
    );
    expect(index.digest).toBe(builder.digest);
    const list = JSON.parse(index.bytes.toString('utf8')) as {
      mediaType: string;
      manifests: { mediaType: string; digest: string; platform: unknown }[];
    };
    expect(list.mediaType).toBe(DOCKER_LIST);
    expect(list.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    for (const [i, entry] of list.manifests.entries()) {
      expect(entry.mediaType).toBe(DOCKER_MANIFEST);
      const read = await skopeoRaw(
        `${world.publicRegistry.host}/${ALIAS}/builder-docker@${entry.digest}`,
        publicCreds(),
      );
      const manifest = JSON.parse(read.bytes.toString('utf8')) as {
        mediaType: string;
        config: { mediaType: string };
        layers: { mediaType: string; digest: string }[];
        annotations?: unknown;
      };
      expect(manifest.mediaType).toBe(DOCKER_MANIFEST);
      expect(manifest.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
      expect(manifest.layers.slice(0, -1).map((l) => l.digest)).toEqual(
        dockerBuilder.platforms[i]!.layers.map((l) => l.digest),
      );
      expect(manifest.layers.map((l) => l.mediaType)).toEqual(
        Array(manifest.layers.length).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'),
      );
      expect(manifest).not.toHaveProperty('annotations'); // Docker manifests have none
    }
    // An independent client accepts the whole tree (it checks every blob against its digest);
    // an OCI layout holds only OCI manifests, so skopeo converts them on the way.
    const dir = mkdtempSync(join(tmpdir(), 'builder-mirror-oci-'));
    layoutDirs.push(dir);
    await skopeoCopyToLayout(`${world.publicRegistry.host}/${ALIAS}/builder-docker:0.4.0`, dir, 'it', publicCreds(), {
      convert: true,
    });
    for (const platform of readLayoutImage(dir, 'it').platforms) {
      expect(labelOf(platform)).toBe(builderLabel({ runImage: RUN_IMAGE, existingMirrors: [publicMirror] }));
    }
  });

  it('publishes a builder that already lists the mirror byte for byte, not mutated', () => {
    const mirrored = imageNamed(first, 'builder-mirrored');
    expect(mirrored.mutated).toBe(false);
    expect(mirrored.digest).toBe(sourceDigests['builder-mirrored']);
    expect(tagsAfterFirst['builder-mirrored:0.2.0']).toBe(sourceDigests['builder-mirrored']);
  });

  it('copies an image with a builder-ish name but no builder label as it is', () => {
    const unlabelled = imageNamed(first, 'builder-unlabelled');
    expect(unlabelled.mutated).toBe(false);
    expect(unlabelled.digest).toBe(sourceDigests['builder-unlabelled']);
    expect(tagsAfterFirst['builder-unlabelled:1.0.0']).toBe(sourceDigests['builder-unlabelled']);
  });

  it('does not copy source signatures of a mutated builder', async () => {
    const tags = await skopeoListTags(`${world.publicRegistry.host}/${ALIAS}/builder-jammy-base`, publicCreds());
    expect(tags).toContain('0.3.13');
    // Referrer copying is not wired into publish yet; this at least holds the line on `.sig` tags,
    // including one named after the mutated digest.
    expect(tags.filter((t) => t.endsWith('.sig'))).toEqual([]);
    expect(tags).not.toContain(signatureTag);
    const sourceTags = await skopeoListTags(`${world.source.host}/${ORG}/builder-jammy-base`);
    expect(sourceTags).toContain(signatureTag);
  });

  it('re-runs with the run image already in the destination: same digests, no tag moved, nothing uploaded', async () => {
    expect(errorLines(second)).toEqual([]);
    expect(second.code).toBe(0);
    for (const b of builders) {
      const [name, tag] = b.split(':') as [string, string];
      expect(imageNamed(second, name).digest).toBe(imageNamed(first, name).digest);
      expect(imageNamed(second, name).bytesUploaded).toBe(0);
      expect(await skopeoDigestOrNull(publicRef(name, tag), publicCreds())).toBe(tagsAfterFirst[b]);
    }
  });

  it('mirrors to private ECR under the repository prefix', async () => {
    expect(errorLines(privateRun)).toEqual([]);
    expect(privateRun.code).toBe(0);
    const builder = imageNamed(privateRun, 'builder-jammy-base');
    expect(builder.repository).toBe(`${world.privateRegistry.host}/mirrored/builder-jammy-base`);
    expect(builder.mutated).toBe(true);
    const after = layouts['private-jammy']!;
    expect(after.digest).toBe(builder.digest);
    for (const platform of after.platforms) {
      expect(labelOf(platform)).toBe(builderLabel({ runImage: RUN_IMAGE, existingMirrors: [privateMirror] }));
      const top = platform.manifest.layers.at(-1)!;
      const { files } = await unpackLayer(readFileSync(layoutBlobPath(layoutDirOf['private-jammy']!, top.digest)));
      expect(parseToml(files['cnb/run.toml']!)).toEqual({ images: [{ image: RUN_IMAGE, mirrors: [privateMirror] }] });
    }
    expect(
      await skopeoDigestOrNull(`${world.privateRegistry.host}/mirrored/run-jammy-base:latest`, privateCreds()),
    ).toBe(sourceDigests['run-jammy-base']);
  });

  it('copies the builder byte for byte with run-image-mirror: false', async () => {
    expect(errorLines(verbatimRun)).toEqual([]);
    expect(verbatimRun.code).toBe(0);
    const builder = imageNamed(verbatimRun, 'builder-jammy-base');
    expect(builder.mutated).toBe(false);
    expect(builder.digest).toBe(sourceDigests['builder-jammy-base']);
    expect(
      await skopeoDigestOrNull(`${world.privateRegistry.host}/verbatim/builder-jammy-base:0.3.13`, privateCreds()),
    ).toBe(sourceDigests['builder-jammy-base']);
  });

  it('makes the ECR copy the run image with run-image-mirror: primary, the original its first mirror', async () => {
    expect(errorLines(primaryRun)).toEqual([]);
    expect(primaryRun.code).toBe(0);
    const builder = imageNamed(primaryRun, 'builder-jammy-base');
    expect(builder.mutated).toBe(true);
    const copy = `${world.privateRegistry.host}/primary/run-jammy-base:latest`;
    const config = await skopeoConfig(
      `${world.privateRegistry.host}/primary/builder-jammy-base:0.3.13`,
      privateCreds(),
    );
    const label = JSON.parse(config.config?.Labels?.[BUILDER_LABEL] ?? '{}') as {
      images?: { image: string; mirrors: string[] }[];
      stack?: { runImage?: { image: string; mirrors: string[] } };
    };
    expect(label.images).toEqual([{ image: copy, mirrors: [RUN_IMAGE] }]);
    expect(label.stack?.runImage).toEqual({ image: copy, mirrors: [RUN_IMAGE] });
    expect(primaryRun.summary).toContain(`run image ${copy}, mirrors ${RUN_IMAGE}`);
  });

  /** Publishes one builder on its own to ECR Public; it must fail with one error line and write nothing. */
  const expectRejected = async (name: string, message: RegExp) => {
    const run = await world.runAction(publicInputs([from(name, '1.0.0')]));
    expect(run.code).not.toBe(0);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('%0A'); // one line: @actions/core escapes newlines
    expect(errors[0]).toMatch(message);
    expect(await skopeoListTags(`${world.publicRegistry.host}/${ALIAS}/${name}`, publicCreds())).toEqual([]);
    // Not even a blob: the builder's own first layer is unknown to the destination repository.
    const manifest = JSON.parse(
      await fetch(`${world.source.url}/v2/${ORG}/${name}/manifests/1.0.0`, {
        headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
      }).then((r) => r.text()),
    ) as {
      manifests?: { digest: string }[];
      layers?: { digest: string }[];
    };
    const platform =
      manifest.manifests !== undefined
        ? (JSON.parse(
            await fetch(`${world.source.url}/v2/${ORG}/${name}/manifests/${manifest.manifests[0]!.digest}`, {
              headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
            }).then((r) => r.text()),
          ) as { layers: { digest: string }[] })
        : (manifest as { layers: { digest: string }[] });
    const blob = await fetch(`${world.publicRegistry.url}/v2/${ALIAS}/${name}/blobs/${platform.layers[0]!.digest}`, {
      method: 'HEAD',
      headers: { authorization: world.publicRegistry.authorization! },
    });
    expect(blob.status).toBe(404);
    return errors[0]!;
  };

  it('fails a builder whose run image is neither in "images" nor in the destination, naming the run image', async () => {
    await expectRejected(
      'builder-orphan',
      new RegExp(`builder-orphan.*index\\.docker\\.io/${ORG}/run-orphan-base:latest`),
    );
  });

  it('fails a builder whose run image tag is not in the destination, naming the run image', async () => {
    await expectRejected(
      'builder-stale',
      new RegExp(`builder-stale.*index\\.docker\\.io/${ORG}/run-jammy-base:9\\.9\\.9`),
    );
  });

  it('rejects a windows builder', async () => {
    await expectRejected('builder-windows', /builder-windows.*windows builders are not supported/);
  });

  let badLabelError = '';
  it('rejects a builder whose label is not JSON', async () => {
    badLabelError = await expectRejected(
      'builder-bad-label',
      /label io\.buildpacks\.builder\.metadata is not valid JSON/,
    );
  });

  it('names the builder whose label is not JSON', () => {
    expect(badLabelError).toMatch(/builder-bad-label/);
  });
});
