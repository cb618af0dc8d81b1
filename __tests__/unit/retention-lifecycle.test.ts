// Retention keeps the lifecycle version a kept builder names in the `lifecycle-image` repository.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { pinBuilderRunImages, RetentionPins, type ImageReader } from '../../src/publish/retention-pins.js';

const sha = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A destination with one single-platform builder whose label names `lifecycle`. */
function builderReader(lifecycle: unknown): { reader: ImageReader; digest: string } {
  const label = JSON.stringify({ stack: { runImage: { image: 'docker.io/org/run:1' } }, lifecycle });
  const config = Buffer.from(JSON.stringify({ config: { Labels: { 'io.buildpacks.builder.metadata': label } } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [],
    }),
  );
  return {
    digest: sha(manifest),
    reader: {
      manifest: () => Promise.resolve({ bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
      blob: () => Promise.resolve(config),
    },
  };
}

describe('retention pins: lifecycle of kept builders', () => {
  const lifecycleRepository = 'public.ecr.aws/alias/lifecycle';

  it('pins the lifecycle tag a kept builder names', async () => {
    const pins = new RetentionPins(new Map([[lifecycleRepository, 'lifecycle']]));
    const { reader, digest } = builderReader({ version: '0.17.0' });
    await pinBuilderRunImages(reader, 'builder', [digest], pins, lifecycleRepository);
    expect([...pins.of('lifecycle').tags.keys()]).toEqual(['0.17.0']);
    expect(pins.of('lifecycle').tags.get('0.17.0')).toMatch(/^lifecycle of kept builder builder@sha256:/);
  });

  it('pins nothing without lifecycle-image, or for a label without a usable version', async () => {
    const pins = new RetentionPins(new Map([[lifecycleRepository, 'lifecycle']]));
    const named = builderReader({ version: '0.17.0' });
    await pinBuilderRunImages(named.reader, 'builder', [named.digest], pins);
    const broken = builderReader({ version: '../x' });
    await pinBuilderRunImages(broken.reader, 'builder', [broken.digest], pins, lifecycleRepository);
    expect(pins.of('lifecycle').tags.size).toBe(0);
  });
});
