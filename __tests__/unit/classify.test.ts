import { describe, expect, it } from '@jest/globals';
import { ClassifyError, classifyImage, imageLabels, parseBuilderMetadata } from '../../src/cnb/classify.js';
import { runImageNames } from '../../src/cnb/run-images.js';

const withLabels = (labels: Record<string, unknown> | undefined): Record<string, unknown> => ({
  os: 'linux',
  config: labels === undefined ? {} : { Labels: labels },
  rootfs: { type: 'layers', diff_ids: [] },
});
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('classifyImage', () => {
  it.each([
    [
      { 'io.buildpacks.builder.metadata': '{}', 'io.buildpacks.stack.id': 'x', 'io.buildpacks.buildpack.layers': '{}' },
      'builder',
    ],
    [{ 'io.buildpacks.buildpackage.metadata': '{}', 'io.buildpacks.buildpack.layers': '{}' }, 'buildpack'],
    [{ 'io.buildpacks.buildpack.layers': '{}' }, 'buildpack'],
    [{ 'io.buildpacks.extension.metadata': '{}' }, 'extension'],
    [{ 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' }, 'stack-image'],
    [{ 'io.buildpacks.base.distro.name': 'ubuntu' }, 'stack-image'],
    [{ 'io.buildpacks.base.maintainer': 'Paketo' }, 'stack-image'],
    [{ 'org.opencontainers.image.title': 'nginx' }, 'other'],
    [{ 'io.buildpacks.basement': 'not a base label' }, 'other'],
  ])('labels %j → %s', (labels, kind) => {
    expect(classifyImage(withLabels(labels))).toBe(kind);
    expect(classifyImage(bytes(withLabels(labels)))).toBe(kind);
  });

  it('treats a config without labels as other', () => {
    expect(classifyImage(withLabels(undefined))).toBe('other');
    expect(classifyImage({ os: 'linux' })).toBe('other');
    expect(classifyImage(bytes({ config: { Labels: null } }))).toBe('other');
  });

  it('fails with one clear line on bytes that are not a JSON object', () => {
    expect(() => classifyImage(new TextEncoder().encode('not json'))).toThrow(/^image config is not valid JSON/);
    expect(() => classifyImage(bytes([1, 2]))).toThrow('image config is not a JSON object');
  });
});

describe('imageLabels', () => {
  it('keeps string labels only', () => {
    expect(imageLabels(withLabels({ a: 'b', n: 1 }))).toEqual({ a: 'b' });
  });
});

describe('runImageNames of a builder label', () => {
  const builder = (metadata: unknown) => withLabels({ 'io.buildpacks.builder.metadata': JSON.stringify(metadata) });
  const builderRunImage = (config: Uint8Array | object) => runImageNames(parseBuilderMetadata(config))[0];

  it('names every images[].image, then a stack.runImage.image that differs', () => {
    const metadata = {
      stack: { runImage: { image: 'docker.io/paketobuildpacks/run-jammy-base', mirrors: null } },
      images: [{ image: 'paketobuildpacks/run-jammy-base:latest' }, { image: '' }, { image: 'other/run' }],
    };
    expect(runImageNames(parseBuilderMetadata(builder(metadata)))).toEqual([
      'paketobuildpacks/run-jammy-base:latest',
      'other/run',
    ]);
    const differs = { ...metadata, stack: { runImage: { image: 'old/run:stack' } } };
    expect(runImageNames(parseBuilderMetadata(builder(differs)))).toEqual([
      'paketobuildpacks/run-jammy-base:latest',
      'other/run',
      'old/run:stack',
    ]);
  });

  it('prefers images[0].image', () => {
    const metadata = {
      stack: { runImage: { image: 'old/run:stack', mirrors: null } },
      images: [{ image: 'paketobuildpacks/run-jammy-base:latest' }, { image: 'other/run' }],
    };
    expect(builderRunImage(builder(metadata))).toBe('paketobuildpacks/run-jammy-base:latest');
    expect(builderRunImage(bytes(builder(metadata)))).toBe('paketobuildpacks/run-jammy-base:latest');
  });

  it('falls back to stack.runImage.image on older builders', () => {
    expect(builderRunImage(builder({ stack: { runImage: { image: 'cnbs/run:bionic' } } }))).toBe('cnbs/run:bionic');
    expect(builderRunImage(builder({ images: [], stack: { runImage: { image: 'cnbs/run:bionic' } } }))).toBe(
      'cnbs/run:bionic',
    );
  });

  it('is undefined when the builder names no run image', () => {
    expect(builderRunImage(builder({ description: 'x' }))).toBeUndefined();
    expect(builderRunImage(builder({ stack: { runImage: { image: '' } } }))).toBeUndefined();
  });

  it('names the label when it is missing or not JSON', () => {
    expect(() => builderRunImage(withLabels({}))).toThrow('image config has no io.buildpacks.builder.metadata label');
    expect(() => builderRunImage(withLabels({ 'io.buildpacks.builder.metadata': '{oops' }))).toThrow(
      /^label io\.buildpacks\.builder\.metadata is not valid JSON/,
    );
    expect(() => parseBuilderMetadata(withLabels({ 'io.buildpacks.builder.metadata': '"text"' }))).toThrow(
      ClassifyError,
    );
  });

  it('keeps the key order of the label', () => {
    const parsed = parseBuilderMetadata(builder({ zeta: 1, description: 'd', alpha: 2 }));
    expect(Object.keys(parsed)).toEqual(['zeta', 'description', 'alpha']);
  });
});
