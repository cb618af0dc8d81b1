import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parse as parseToml } from 'smol-toml';
import {
  addRunImageMirrorToBuilder,
  BuilderMirrorError,
  SOURCE_DIGEST_ANNOTATION,
  serializeLabelLikeGo,
  type BuilderMirrorInput,
} from '../../src/cnb/builder-mirror.js';
import { applyRunImageCopies, runImageNames } from '../../src/cnb/run-images.js';
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from '../../src/oci/media-types.js';
import { readTar } from '../support/tar.js';

const LABEL = 'io.buildpacks.builder.metadata';
const MIRROR = 'public.ecr.aws/paketo-buildpacks/run-jammy-base:latest';
const SOURCE_DIGEST = `sha256:${'5'.repeat(64)}`;
const text = new TextEncoder();
const enc = (value: unknown): Uint8Array => text.encode(JSON.stringify(value));
const dec = (bytes: Uint8Array): Record<string, unknown> =>
  JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
const sha = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const fakeDigest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A label shaped like a current Paketo builder's: both `stack` and `images`, plus keys we must not touch. */
function paketoLabel(): Record<string, unknown> {
  return {
    description: 'Ubuntu 22.04 Jammy Jellyfish base image with buildpacks for Java, .NET & <others>',
    stack: { runImage: { image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', mirrors: null } },
    images: [{ image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest' }],
    buildpacks: [
      { id: 'paketo-buildpacks/java', version: '18.0.0', homepage: 'https://github.com/paketo-buildpacks/java' },
    ],
    lifecycle: {
      version: '0.20.0',
      api: { buildpack: '0.2', platform: '0.3' },
      apis: { buildpack: { deprecated: [], supported: ['0.2', '0.11'] } },
    },
    createdBy: { name: 'Pack CLI', version: '0.36.0' },
    'x-unknown': { z: 1, a: 2 },
  };
}

function builderImage(
  label: Record<string, unknown>,
  family: 'oci' | 'docker' = 'oci',
  extraConfig: Record<string, unknown> = {},
) {
  const config = {
    architecture: 'amd64',
    created: '1980-01-01T00:00:01Z',
    os: 'linux',
    config: {
      User: '1002:1000',
      Env: ['CNB_USER_ID=1002', 'CNB_GROUP_ID=1000', 'PATH=/cnb/process:/cnb/lifecycle:/usr/bin'],
      WorkingDir: '/layers',
      Labels: {
        'io.buildpacks.buildpack.layers': '{}',
        [LABEL]: serializeLabelLikeGo(label),
        'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy',
      },
    },
    rootfs: { type: 'layers', diff_ids: [fakeDigest('1'), fakeDigest('2')] },
    history: [{ created: '1980-01-01T00:00:01Z' }, { created: '1980-01-01T00:00:01Z', created_by: 'pack' }],
    ...extraConfig,
  };
  const configBytes = enc(config);
  const docker = family === 'docker';
  const layer = (c: string, size: number) =>
    docker
      ? { mediaType: DOCKER_LAYER_GZIP, size, digest: fakeDigest(c) }
      : { mediaType: OCI_LAYER_GZIP, digest: fakeDigest(c), size };
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: docker
      ? { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: sha(configBytes) }
      : { mediaType: OCI_CONFIG, digest: sha(configBytes), size: configBytes.length },
    layers: [layer('a', 1000), layer('b', 2000)],
  };
  const input: BuilderMirrorInput = {
    manifest: { bytes: enc(manifest), mediaType: manifest.mediaType },
    config: configBytes,
    runImages: firstGetsMirror(label),
    mode: 'auto',
    sourceDigest: SOURCE_DIGEST,
  };
  return { config, manifest, input };
}

/** The label's first run image gets MIRROR as its copy, the others none; a label we cannot read names none. */
function firstGetsMirror(label: Record<string, unknown>): BuilderMirrorInput['runImages'] {
  let names: string[];
  try {
    names = runImageNames(label);
  } catch {
    names = [];
  }
  return names.map((source, i) => (i === 0 ? { source, copy: MIRROR } : { source }));
}

/** A shallow copy without the given keys. */
function omit(value: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

function mutate(input: BuilderMirrorInput) {
  const result = addRunImageMirrorToBuilder(input);
  if (!result.changed) throw new Error('expected the builder to change');
  return result;
}

describe('addRunImageMirrorToBuilder: golden digests', () => {
  // Computed once from this fixed input and pinned: CI runs this on Node 20 and Node 24, so a
  // difference in JSON, tar or gzip output between versions fails here.
  it('produces the pinned manifest, config and layer digests', () => {
    const result = mutate(builderImage(paketoLabel()).input);
    expect(result.layer.digest).toBe('sha256:7a6ca18ef0d43d356528d802f11f343e95f7ed5892a6a26a009c7f5bf23c582c');
    expect(result.layer.diffId).toBe('sha256:ea5e5bd267ac92cc16254964566ff0b3df694656c6f1544d6b1f020285fb7d5b');
    expect(result.config.digest).toBe('sha256:b9d2bff63205d97d12814688e7ae05f12c648d194de06110a8ea57add9698cc6');
    expect(result.manifest.digest).toBe('sha256:249e459cc9a370e211c38a30338edaa0b4bee8495fc6f7d0af64d3325de9c38e');
  });

  // Same layer and config blobs as above: a blob's bytes do not carry its media type.
  it('produces the pinned digests for a Docker-media-type builder', () => {
    const result = mutate(builderImage(paketoLabel(), 'docker').input);
    expect(result.layer.digest).toBe('sha256:7a6ca18ef0d43d356528d802f11f343e95f7ed5892a6a26a009c7f5bf23c582c');
    expect(result.config.digest).toBe('sha256:b9d2bff63205d97d12814688e7ae05f12c648d194de06110a8ea57add9698cc6');
    expect(result.manifest.digest).toBe('sha256:c9891aa6ae2409b762c71af121e75b166205de12e23070c6abac8f4b06596316');
  });

  it('gives the same bytes for the same input', () => {
    const a = mutate(builderImage(paketoLabel()).input);
    const b = mutate(builderImage(paketoLabel()).input);
    expect(Buffer.from(a.manifest.bytes).equals(Buffer.from(b.manifest.bytes))).toBe(true);
    expect(Buffer.from(a.config.bytes).equals(Buffer.from(b.config.bytes))).toBe(true);
    expect(Buffer.from(a.layer.bytes).equals(Buffer.from(b.layer.bytes))).toBe(true);
  });
});

describe('addRunImageMirrorToBuilder: label', () => {
  it('adds the mirror to images[0] and stack.runImage, keeping every other key and its order', () => {
    const original = paketoLabel();
    const result = mutate(builderImage(original).input);
    const config = dec(result.config.bytes);
    const labelText = ((config['config'] as Record<string, unknown>)['Labels'] as Record<string, string>)[
      LABEL
    ] as string;
    const label = JSON.parse(labelText) as Record<string, unknown>;

    expect(Object.keys(label)).toEqual(Object.keys(original));
    expect(label['images']).toEqual([
      { image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', mirrors: [MIRROR] },
    ]);
    expect(label['stack']).toEqual({
      runImage: { image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', mirrors: [MIRROR] },
    });
    for (const key of ['description', 'buildpacks', 'lifecycle', 'createdBy', 'x-unknown'])
      expect(label[key]).toEqual(original[key]);
    expect(Object.keys(label['x-unknown'] as object)).toEqual(['z', 'a']);
    expect(result.label).toEqual(label);
    expect(result.after).toEqual([
      {
        image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest',
        mirrors: [MIRROR],
      },
    ]);
  });

  it('serializes the label compactly with Go-style HTML escapes, as pack does', () => {
    const result = mutate(builderImage(paketoLabel()).input);
    const labels = (dec(result.config.bytes)['config'] as Record<string, unknown>)['Labels'] as Record<string, string>;
    const labelText = labels[LABEL] as string;
    expect(labelText).toContain('.NET \\u0026 \\u003cothers\\u003e');
    expect(labelText).not.toMatch(/[<>&]|\n|": /);
  });

  it('handles an older pack builder that has only stack.runImage', () => {
    const label = {
      description: 'old',
      stack: { runImage: { image: 'cnbs/sample-stack-run:bionic', mirrors: ['gcr.io/x/run:bionic'] } },
    };
    const result = mutate(builderImage(label).input);
    expect(result.label).toEqual({
      description: 'old',
      stack: { runImage: { image: 'cnbs/sample-stack-run:bionic', mirrors: ['gcr.io/x/run:bionic', MIRROR] } },
    });
    expect(result.label).not.toHaveProperty('images');
    expect(result.after).toEqual([
      {
        image: 'cnbs/sample-stack-run:bionic',
        mirrors: ['gcr.io/x/run:bionic', MIRROR],
      },
    ]);
  });

  it('handles a builder that has only images', () => {
    const label = {
      images: [{ image: 'a/run', mirrors: ['b/run'] }, { image: 'c/run' }],
      stack: { runImage: { image: '' } },
    };
    const result = mutate(builderImage(label).input);
    expect(result.label['images']).toEqual([{ image: 'a/run', mirrors: ['b/run', MIRROR] }, { image: 'c/run' }]);
    expect(result.label['stack']).toEqual({ runImage: { image: '' } });
  });

  it('does not add a mirror that is already there under another spelling, and leaves the image untouched', () => {
    const label = paketoLabel();
    label['images'] = [{ image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', mirrors: [MIRROR] }];
    label['stack'] = {
      runImage: { image: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', mirrors: [MIRROR] },
    };
    const { input } = builderImage(label);
    const result = addRunImageMirrorToBuilder(input);
    expect(result.changed).toBe(false);
    expect(result.manifest.bytes).toBe(input.manifest.bytes);
    expect(result.manifest.digest).toBe(sha(input.manifest.bytes));
    expect(result.config.bytes).toBe(input.config);
    expect(result).not.toHaveProperty('layer');
    expect(result.label).toEqual(label);
  });

  it('compares Docker Hub names normalized: docker.io, index.docker.io and no registry are the same', () => {
    const metadata = {
      images: [{ image: 'paketobuildpacks/run:base', mirrors: ['index.docker.io/library/ubuntu'] }],
      stack: { runImage: { image: 'paketobuildpacks/run:base' } },
    };
    const copy = (to: string) => [{ source: 'index.docker.io/paketobuildpacks/run:base', copy: to }];
    expect(applyRunImageCopies(metadata, copy('docker.io/ubuntu:latest'), 'auto')).toEqual({ changed: true });
    // only stack.runImage lacked it
    expect(metadata.images[0]?.mirrors).toEqual(['index.docker.io/library/ubuntu']);
    expect((metadata.stack.runImage as Record<string, unknown>)['mirrors']).toEqual(['docker.io/ubuntu:latest']);
    expect(applyRunImageCopies(metadata, copy('ubuntu'), 'auto')).toEqual({ changed: false });
    // the run image itself is not added as its own mirror
    expect(applyRunImageCopies(metadata, copy('docker.io/paketobuildpacks/run:base'), 'auto')).toEqual({
      changed: false,
    });
  });

  it('applied twice, the second application adds no duplicate', () => {
    const first = mutate(builderImage(paketoLabel()).input);
    const second = addRunImageMirrorToBuilder({
      manifest: { bytes: first.manifest.bytes, mediaType: first.manifest.mediaType },
      config: first.config.bytes,
      runImages: [
        {
          source: 'docker.io/paketobuildpacks/run-jammy-base',
          copy: 'public.ecr.aws/paketo-buildpacks/run-jammy-base',
        },
      ],
      mode: 'auto',
      sourceDigest: first.manifest.digest,
    });
    expect(second.changed).toBe(false);
    expect(second.label).toEqual(first.label);
    expect(second.manifest.digest).toBe(first.manifest.digest);
  });
});

describe('addRunImageMirrorToBuilder: several run images, auto and primary', () => {
  const BASE = 'index.docker.io/paketobuildpacks/run-jammy-base:latest';
  const FULL = 'index.docker.io/paketobuildpacks/run-jammy-full:latest';
  const ecr = (name: string) => `public.ecr.aws/paketo-buildpacks/${name}:latest`;
  const twoRunImages = () => ({
    ...paketoLabel(),
    stack: { runImage: { image: BASE, mirrors: null } },
    images: [{ image: BASE }, { image: FULL, mirrors: ['gcr.io/x/run-jammy-full'] }],
  });
  const input = (mode: 'auto' | 'primary') => ({
    ...builderImage(twoRunImages()).input,
    runImages: [
      { source: BASE, copy: ecr('run-jammy-base') },
      { source: FULL, copy: ecr('run-jammy-full') },
    ],
    mode,
  });
  const runTomlOf = async (layer: Uint8Array) => parseToml((await readTar(gunzipSync(layer)))[1]?.body ?? '');

  it('auto: adds each copy to its own run image, in the label and run.toml', async () => {
    const result = mutate(input('auto'));
    const images = [
      { image: BASE, mirrors: [ecr('run-jammy-base')] },
      { image: FULL, mirrors: ['gcr.io/x/run-jammy-full', ecr('run-jammy-full')] },
    ];
    expect(result.label['images']).toEqual(images);
    expect(result.label['stack']).toEqual({ runImage: images[0] });
    expect(await runTomlOf(result.layer.bytes)).toEqual({ images });
  });

  it('primary: each copy becomes the image, the original the first mirror; keys keep their order', async () => {
    const result = mutate(input('primary'));
    const images = [
      { image: ecr('run-jammy-base'), mirrors: [BASE] },
      { image: ecr('run-jammy-full'), mirrors: [FULL, 'gcr.io/x/run-jammy-full'] },
    ];
    expect(result.label['images']).toEqual(images);
    expect(Object.keys((result.label['images'] as object[])[0]!)).toEqual(['image', 'mirrors']);
    expect(result.label['stack']).toEqual({ runImage: images[0] });
    expect(await runTomlOf(result.layer.bytes)).toEqual({ images });
    const stackToml = parseToml((await readTar(gunzipSync(result.layer.bytes)))[0]?.body ?? '');
    expect(stackToml).toEqual({ 'run-image': images[0] });
  });

  it('primary on a builder already made primary changes nothing; the modes give different digests', () => {
    const once = mutate(input('primary'));
    const again = addRunImageMirrorToBuilder({
      ...input('primary'),
      manifest: once.manifest,
      config: once.config.bytes,
      runImages: [
        { source: ecr('run-jammy-base'), copy: ecr('run-jammy-base') },
        { source: ecr('run-jammy-full'), copy: ecr('run-jammy-full') },
      ],
    });
    expect(again.changed).toBe(false);
    expect(mutate(input('auto')).manifest.digest).not.toBe(once.manifest.digest);
  });

  it('leaves a run image without a copy as it is', () => {
    const result = mutate({ ...input('primary'), runImages: [{ source: BASE }, { source: FULL, copy: ecr('x') }] });
    expect(result.label['images']).toEqual([
      { image: BASE },
      { image: ecr('x'), mirrors: [FULL, 'gcr.io/x/run-jammy-full'] },
    ]);
  });
});

describe('addRunImageMirrorToBuilder: layer', () => {
  it('holds exactly cnb/stack.toml and cnb/run.toml, 0644, root-owned, fixed mtime, reflecting the new label', async () => {
    const result = mutate(builderImage(paketoLabel()).input);
    const tar = gunzipSync(result.layer.bytes);
    expect(result.layer.diffId).toBe(sha(tar));
    expect(result.layer.digest).toBe(sha(result.layer.bytes));
    expect(result.layer.size).toBe(result.layer.bytes.length);

    const entries = await readTar(tar);
    expect(entries.map((e) => e.header.name)).toEqual(['cnb/stack.toml', 'cnb/run.toml']);
    for (const { header } of entries) {
      expect(header.type).toBe('file');
      expect(header.mode).toBe(0o644);
      expect([header.uid, header.gid, header.uname, header.gname]).toEqual([0, 0, '', '']);
      expect(header.mtime?.toISOString()).toBe('1980-01-01T00:00:01.000Z');
    }
    const image = 'index.docker.io/paketobuildpacks/run-jammy-base:latest';
    expect(parseToml(entries[0]?.body ?? '')).toEqual({ 'run-image': { image, mirrors: [MIRROR] } });
    expect(parseToml(entries[1]?.body ?? '')).toEqual({ images: [{ image, mirrors: [MIRROR] }] });
  });

  it('writes stack.toml from images[0] when the label has no stack run image, and every image into run.toml', async () => {
    const label = {
      images: [
        { image: 'a/run', mirrors: null },
        { image: 'c/run', mirrors: ['d/run'] },
      ],
    };
    const result = mutate(builderImage(label).input);
    const entries = await readTar(gunzipSync(result.layer.bytes));
    expect(parseToml(entries[0]?.body ?? '')).toEqual({ 'run-image': { image: 'a/run', mirrors: [MIRROR] } });
    expect(parseToml(entries[1]?.body ?? '')).toEqual({
      images: [
        { image: 'a/run', mirrors: [MIRROR] },
        { image: 'c/run', mirrors: ['d/run'] },
      ],
    });
  });

  it('writes run.toml from stack.runImage on an older builder', async () => {
    const label = { stack: { runImage: { image: 'cnbs/run:bionic' } } };
    const entries = await readTar(gunzipSync(mutate(builderImage(label).input).layer.bytes));
    expect(parseToml(entries[1]?.body ?? '')).toEqual({ images: [{ image: 'cnbs/run:bionic', mirrors: [MIRROR] }] });
  });

  it('escapes TOML strings', async () => {
    const label = { stack: { runImage: { image: 'weird"\\name', mirrors: null } } };
    const entries = await readTar(gunzipSync(mutate(builderImage(label).input).layer.bytes));
    expect(parseToml(entries[0]?.body ?? '')).toEqual({ 'run-image': { image: 'weird"\\name', mirrors: [MIRROR] } });
  });
});

describe('addRunImageMirrorToBuilder: config and manifest', () => {
  it('changes the config only in rootfs.diff_ids, history and the builder label', () => {
    const { config, input } = builderImage(paketoLabel());
    const result = mutate(input);
    const out = dec(result.config.bytes) as typeof config;
    expect(Object.keys(out)).toEqual(Object.keys(config));
    expect(out.rootfs.diff_ids).toEqual([...config.rootfs.diff_ids, result.layer.diffId]);
    expect(out.history).toHaveLength(config.history.length + 1);
    expect(out.history.slice(0, -1)).toEqual(config.history);
    expect(out.history.at(-1)).toEqual({
      created: '1980-01-01T00:00:01Z',
      created_by: `ecr-publish: add run-image mirror ${MIRROR}`,
    });
    const { [LABEL]: newLabel, ...otherLabels } = out.config.Labels;
    const { [LABEL]: oldLabel, ...otherOldLabels } = config.config.Labels;
    expect(otherLabels).toEqual(otherOldLabels);
    expect(Object.keys(out.config.Labels)).toEqual(Object.keys(config.config.Labels));
    expect(newLabel).not.toBe(oldLabel);
    expect(omit(out, 'rootfs', 'history', 'config')).toEqual(omit(config, 'rootfs', 'history', 'config'));
    expect(omit(out.config, 'Labels')).toEqual(omit(config.config, 'Labels'));
    expect(Object.keys(out.config)).toEqual(Object.keys(config.config));
  });

  it('points the OCI manifest at the new config, appends an OCI layer and records the source digest', () => {
    const { manifest, input } = builderImage(paketoLabel());
    const result = mutate(input);
    const out = dec(result.manifest.bytes) as typeof manifest & { annotations: Record<string, string> };
    expect(result.manifest.mediaType).toBe(OCI_MANIFEST);
    expect(result.manifest.digest).toBe(sha(result.manifest.bytes));
    expect(out.config).toEqual({
      mediaType: OCI_CONFIG,
      digest: sha(result.config.bytes),
      size: result.config.bytes.length,
    });
    expect(result.config.descriptor).toEqual(out.config);
    expect(out.layers.slice(0, 2)).toEqual(manifest.layers);
    expect(out.layers[2]).toEqual({ mediaType: OCI_LAYER_GZIP, digest: result.layer.digest, size: result.layer.size });
    // What the builder was made from, so a re-run can tell it is up to date without reading it again.
    expect(out.annotations).toEqual({
      [SOURCE_DIGEST_ANNOTATION]: SOURCE_DIGEST,
      'io.ecr-publish.run-image-mirror': JSON.stringify({
        format: 1,
        mode: 'auto',
        runImages: [{ source: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', copy: MIRROR }],
      }),
    });
    expect(result.annotated).toBe(true);
    expect(Object.keys(out)).toEqual([...Object.keys(manifest), 'annotations']);
  });

  it('uses the Docker layer media type for a Docker manifest, which carries no annotations', () => {
    const { input } = builderImage(paketoLabel(), 'docker');
    const result = mutate(input);
    const out = dec(result.manifest.bytes) as { layers: unknown[]; config: { mediaType: string } };
    expect(result.layer.mediaType).toBe(DOCKER_LAYER_GZIP);
    expect(out.layers[2]).toEqual({
      mediaType: DOCKER_LAYER_GZIP,
      size: result.layer.size,
      digest: result.layer.digest,
    });
    expect(out.config.mediaType).toBe(DOCKER_CONFIG);
    expect(out).not.toHaveProperty('annotations');
    expect(result.annotated).toBe(false);
  });

  it('uses the Docker layer media type when an OCI manifest holds Docker layers', () => {
    const { manifest, input } = builderImage(paketoLabel(), 'docker');
    const asOci = { ...manifest, mediaType: OCI_MANIFEST };
    const result = mutate({ ...input, manifest: { bytes: enc(asOci), mediaType: OCI_MANIFEST } });
    expect(result.layer.mediaType).toBe(DOCKER_LAYER_GZIP);
  });
});

describe('addRunImageMirrorToBuilder: errors', () => {
  it('rejects windows builders', () => {
    const { input } = builderImage(paketoLabel(), 'oci', { os: 'windows' });
    expect(() => addRunImageMirrorToBuilder(input)).toThrow('windows builders are not supported');
  });

  it('names the label when it is missing or not JSON', () => {
    const { config, input } = builderImage(paketoLabel());
    const noLabel = { ...config, config: { ...config.config, Labels: { 'io.buildpacks.stack.id': 'x' } } };
    expect(() => addRunImageMirrorToBuilder({ ...input, config: enc(noLabel) })).toThrow(
      new BuilderMirrorError('image config has no io.buildpacks.builder.metadata label'),
    );
    const badLabel = { ...config, config: { ...config.config, Labels: { [LABEL]: '{"stack":' } } };
    expect(() => addRunImageMirrorToBuilder({ ...input, config: enc(badLabel) })).toThrow(
      /^label io\.buildpacks\.builder\.metadata is not valid JSON/,
    );
  });

  it('fails when the label names no run image', () => {
    const { input } = builderImage({ description: 'no run image' });
    expect(() => addRunImageMirrorToBuilder(input)).toThrow(/names no run image/);
  });

  it('fails on mirrors that are not a list of strings', () => {
    const { input } = builderImage({ images: [{ image: 'a/run', mirrors: 'b/run' }] });
    expect(() => addRunImageMirrorToBuilder(input)).toThrow(/mirrors that are not a list of strings/);
  });

  it('rejects an invalid mirror reference and a malformed source digest', () => {
    const { input } = builderImage(paketoLabel());
    const runImages = [{ source: 'index.docker.io/paketobuildpacks/run-jammy-base:latest', copy: 'Not A Ref' }];
    expect(() => addRunImageMirrorToBuilder({ ...input, runImages })).toThrow(
      /^run-image mirror: invalid image reference/,
    );
    expect(() => addRunImageMirrorToBuilder({ ...input, sourceDigest: 'sha256:abc' })).toThrow(
      /is not a sha256 digest/,
    );
  });

  it('rejects a config that is not JSON', () => {
    const { input } = builderImage(paketoLabel());
    expect(() => addRunImageMirrorToBuilder({ ...input, config: text.encode('nope') })).toThrow(
      /^builder image config is not valid JSON/,
    );
  });
});
