import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from '../../src/oci/media-types.js';
import { MutationError } from '../../src/oci/json.js';
import { crc32, encodeGzipLayer, NORMALIZED_MTIME_SECONDS, storedGzip, tarFiles } from '../../src/oci/layer.js';
import { appendLayerToImage, gzipLayerMediaTypeFor, replaceIndexEntries } from '../../src/oci/mutate.js';
import { readTar } from '../support/tar.js';

const enc = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const dec = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
const sha = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const fakeDigest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A shallow copy without the given keys. */
function omit(value: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('storedGzip', () => {
  it.each([0, 1, 511, 65535, 65536, 200_000])('round-trips %i bytes through zlib.gunzipSync', (length) => {
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i++) data[i] = (i * 31 + 7) & 0xff;
    const gz = storedGzip(data);
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(data))).toBe(true);
  });

  it('writes a fixed header: mtime 0, no flags, OS 255', () => {
    const gz = storedGzip(new TextEncoder().encode('hello'));
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    // one final stored block: BFINAL=1/BTYPE=00, LEN=5, NLEN=~5
    expect([...gz.subarray(10, 15)]).toEqual([0x01, 5, 0, 0xfa, 0xff]);
    expect(gz.length).toBe(10 + 5 + 5 + 8);
  });

  it('splits data into stored blocks of at most 65535 bytes', () => {
    const gz = storedGzip(new Uint8Array(65536));
    expect(gz[10]).toBe(0x00); // first block not final
    expect(gz[11]).toBe(0xff);
    expect(gz[12]).toBe(0xff);
    expect(gz[10 + 5 + 65535]).toBe(0x01); // second block final
    expect(gz[10 + 5 + 65535 + 1]).toBe(1);
  });
});

describe('tarFiles', () => {
  it('writes regular files only, 0644, root-owned, empty owner names, fixed mtime', async () => {
    const tar = tarFiles([
      { name: 'cnb/stack.toml', content: 'a = 1\n' },
      { name: 'cnb/run.toml', content: new TextEncoder().encode('b = 2\n') },
    ]);
    expect(tar.length % 512).toBe(0);
    const entries = await readTar(tar);
    expect(entries.map((e) => e.header.name)).toEqual(['cnb/stack.toml', 'cnb/run.toml']);
    expect(entries.map((e) => e.body)).toEqual(['a = 1\n', 'b = 2\n']);
    for (const { header } of entries) {
      expect(header.type).toBe('file');
      expect(header.mode).toBe(0o644);
      expect(header.uid).toBe(0);
      expect(header.gid).toBe(0);
      expect(header.uname).toBe('');
      expect(header.gname).toBe('');
      expect(header.mtime?.toISOString()).toBe('1980-01-01T00:00:01.000Z');
    }
    expect(NORMALIZED_MTIME_SECONDS).toBe(Date.UTC(1980, 0, 1, 0, 0, 1) / 1000);
  });

  it('is byte-identical on every call', () => {
    const files = [{ name: 'x/y', content: 'z' }];
    expect(Buffer.from(tarFiles(files)).equals(Buffer.from(tarFiles(files)))).toBe(true);
    expect(Buffer.from(tarFiles(files, 0)).equals(Buffer.from(tarFiles(files)))).toBe(false);
  });

  it('rejects absolute, empty and over-long names', () => {
    expect(() => tarFiles([{ name: '/cnb/x', content: '' }])).toThrow(MutationError);
    expect(() => tarFiles([{ name: '', content: '' }])).toThrow(/non-empty/);
    expect(() => tarFiles([{ name: 'a'.repeat(101), content: '' }])).toThrow(/100 bytes/);
  });
});

describe('encodeGzipLayer', () => {
  it('reports the blob digest and size and the diff_id of the tar inside', () => {
    const files = [{ name: 'f', content: 'data' }];
    const layer = encodeGzipLayer(files, OCI_LAYER_GZIP);
    expect(layer.digest).toBe(sha(layer.bytes));
    expect(layer.size).toBe(layer.bytes.length);
    expect(layer.diffId).toBe(sha(gunzipSync(layer.bytes)));
    expect(layer.diffId).toBe(sha(tarFiles(files)));
    expect(layer.mediaType).toBe(OCI_LAYER_GZIP);
  });
});

function ociImage() {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin'], Labels: { a: 'b' } },
    rootfs: { type: 'layers', diff_ids: [fakeDigest('1')] },
    history: [{ created: '2020-01-01T00:00:00Z', created_by: 'base' }],
    zzz: 'last key stays last',
  };
  const configBytes = enc(config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha(configBytes), size: configBytes.length },
    layers: [{ mediaType: OCI_LAYER_GZIP, digest: fakeDigest('a'), size: 10 }],
    annotations: { existing: 'kept' },
  };
  return { config, configBytes, manifest, manifestBytes: enc(manifest) };
}

describe('appendLayerToImage', () => {
  const layer = encodeGzipLayer([{ name: 'f', content: 'x' }], OCI_LAYER_GZIP);

  it('appends the diff_id, the history entry and the layer, and changes nothing else', () => {
    const { config, configBytes, manifest, manifestBytes } = ociImage();
    const result = appendLayerToImage({
      manifestBytes,
      manifestMediaType: OCI_MANIFEST,
      configBytes,
      layer,
      history: { created: '1980-01-01T00:00:01Z', created_by: 'test' },
      configEdit: (c) => {
        ((c['config'] as Record<string, unknown>)['Labels'] as Record<string, string>)['a'] = 'changed';
      },
      annotations: { 'io.example.source': 'src' },
    });

    const newConfig = dec(result.configBytes) as typeof config;
    expect(Object.keys(newConfig)).toEqual(Object.keys(config));
    expect(newConfig.rootfs.diff_ids).toEqual([fakeDigest('1'), layer.diffId]);
    expect(newConfig.history).toEqual([...config.history, { created: '1980-01-01T00:00:01Z', created_by: 'test' }]);
    expect(newConfig.config.Labels).toEqual({ a: 'changed' });
    expect(omit(newConfig, 'rootfs', 'history', 'config')).toEqual(omit(config, 'rootfs', 'history', 'config'));
    expect(newConfig.config.Env).toEqual(config.config.Env);

    const newManifest = dec(result.manifestBytes) as typeof manifest;
    expect(Object.keys(newManifest)).toEqual(Object.keys(manifest));
    expect(newManifest.config).toEqual({
      mediaType: OCI_CONFIG,
      digest: sha(result.configBytes),
      size: result.configBytes.length,
    });
    expect(result.configDescriptor).toEqual(newManifest.config);
    expect(newManifest.layers).toEqual([
      manifest.layers[0],
      { mediaType: OCI_LAYER_GZIP, digest: layer.digest, size: layer.size },
    ]);
    expect(Object.keys(newManifest.layers[1] ?? {})).toEqual(['mediaType', 'digest', 'size']);
    expect(newManifest.annotations).toEqual({ existing: 'kept', 'io.example.source': 'src' });
    expect(result.manifestDigest).toBe(sha(result.manifestBytes));
    expect(result.layerDescriptor).toEqual(newManifest.layers[1]);
    expect(result.annotated).toBe(true);
  });

  it('leaves history out when the config keeps none', () => {
    const { config, manifest } = ociImage();
    const configBytes = enc(omit(config, 'history'));
    const manifestBytes = enc({ ...manifest, config: { ...manifest.config, digest: sha(configBytes) } });
    const result = appendLayerToImage({
      manifestBytes,
      manifestMediaType: OCI_MANIFEST,
      configBytes,
      layer,
      history: { created_by: 'x' },
    });
    expect(dec(result.configBytes)).not.toHaveProperty('history');
  });

  it('writes Docker descriptors in Docker key order and adds no annotations to Docker manifests', () => {
    const configBytes = enc({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    const manifestBytes = enc({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: sha(configBytes) },
      layers: [],
    });
    const dockerLayer = encodeGzipLayer([{ name: 'f', content: 'x' }], DOCKER_LAYER_GZIP);
    const result = appendLayerToImage({
      manifestBytes,
      manifestMediaType: DOCKER_MANIFEST,
      configBytes,
      layer: dockerLayer,
      annotations: { k: 'v' },
    });
    const m = dec(result.manifestBytes) as Record<string, unknown>;
    expect(m).not.toHaveProperty('annotations');
    expect(result.annotated).toBe(false);
    const layers = m['layers'] as Record<string, unknown>[];
    expect(Object.keys(layers[0] ?? {})).toEqual(['mediaType', 'size', 'digest']);
    expect(Object.keys(m['config'] as object)).toEqual(['mediaType', 'size', 'digest']);
    expect(layers[0]?.['mediaType']).toBe(DOCKER_LAYER_GZIP);
  });

  it('is deterministic', () => {
    const { configBytes, manifestBytes } = ociImage();
    const run = () => appendLayerToImage({ manifestBytes, manifestMediaType: OCI_MANIFEST, configBytes, layer });
    expect(run().manifestDigest).toBe(run().manifestDigest);
  });

  it('rejects indexes, configs without rootfs.diff_ids and non-JSON input with one clear line', () => {
    const { configBytes, manifestBytes } = ociImage();
    expect(() => appendLayerToImage({ manifestBytes, manifestMediaType: OCI_INDEX, configBytes, layer })).toThrow(
      /cannot add a layer to a manifest of media type/,
    );
    expect(() =>
      appendLayerToImage({ manifestBytes, manifestMediaType: OCI_MANIFEST, configBytes: enc({ os: 'linux' }), layer }),
    ).toThrow('image config has no rootfs.diff_ids array');
    expect(() =>
      appendLayerToImage({
        manifestBytes: new TextEncoder().encode('{'),
        manifestMediaType: OCI_MANIFEST,
        configBytes,
        layer,
      }),
    ).toThrow(/^image manifest is not valid JSON/);
  });
});

describe('gzipLayerMediaTypeFor', () => {
  it('follows the family of the existing layers, else the manifest media type', () => {
    const withLayers = (mediaType: string) =>
      enc({ schemaVersion: 2, layers: [{ mediaType, digest: fakeDigest('a'), size: 1 }] });
    expect(gzipLayerMediaTypeFor(withLayers(DOCKER_LAYER_GZIP), OCI_MANIFEST)).toBe(DOCKER_LAYER_GZIP);
    expect(gzipLayerMediaTypeFor(withLayers(OCI_LAYER_GZIP), DOCKER_MANIFEST)).toBe(OCI_LAYER_GZIP);
    expect(gzipLayerMediaTypeFor(withLayers('application/vnd.oci.image.layer.v1.tar+zstd'), OCI_MANIFEST)).toBe(
      OCI_LAYER_GZIP,
    );
    expect(gzipLayerMediaTypeFor(enc({ schemaVersion: 2, layers: [] }), DOCKER_MANIFEST)).toBe(DOCKER_LAYER_GZIP);
    expect(gzipLayerMediaTypeFor(enc({ schemaVersion: 2, layers: [] }), OCI_MANIFEST)).toBe(OCI_LAYER_GZIP);
  });
});

describe('replaceIndexEntries', () => {
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: fakeDigest('a'), size: 100, platform: { architecture: 'amd64', os: 'linux' } },
      {
        mediaType: OCI_MANIFEST,
        digest: fakeDigest('b'),
        size: 200,
        platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        annotations: { 'org.opencontainers.image.ref.name': 'x' },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: fakeDigest('c'),
        size: 300,
        platform: { architecture: 'unknown', os: 'unknown' },
      },
    ],
  };

  it('replaces digest and size and keeps platform, annotations, key order and other entries', () => {
    const result = replaceIndexEntries(
      enc(index),
      OCI_INDEX,
      new Map([
        [fakeDigest('a'), { digest: fakeDigest('d'), size: 111 }],
        [fakeDigest('b'), { digest: fakeDigest('e'), size: 222 }],
      ]),
      { 'io.example.source': 'src' },
    );
    const out = dec(result.bytes) as typeof index & { annotations: Record<string, string> };
    expect(out.manifests[0]).toEqual({ ...index.manifests[0], digest: fakeDigest('d'), size: 111 });
    expect(out.manifests[1]).toEqual({ ...index.manifests[1], digest: fakeDigest('e'), size: 222 });
    expect(Object.keys(out.manifests[1] ?? {})).toEqual(Object.keys(index.manifests[1] ?? {}));
    expect(out.manifests[2]).toEqual(index.manifests[2]);
    expect(out.annotations).toEqual({ 'io.example.source': 'src' });
    expect(result.digest).toBe(sha(result.bytes));
    expect(result.annotated).toBe(true);
  });

  it('adds no annotations to a Docker manifest list', () => {
    const list = { ...index, mediaType: DOCKER_MANIFEST_LIST };
    const result = replaceIndexEntries(
      enc(list),
      DOCKER_MANIFEST_LIST,
      new Map([[fakeDigest('a'), { digest: fakeDigest('d'), size: 1 }]]),
      {
        k: 'v',
      },
    );
    expect(dec(result.bytes)).not.toHaveProperty('annotations');
    expect(result.annotated).toBe(false);
  });

  it('fails when a digest to replace is not in the index', () => {
    expect(() =>
      replaceIndexEntries(enc(index), OCI_INDEX, new Map([[fakeDigest('f'), { digest: fakeDigest('d'), size: 1 }]])),
    ).toThrow(`image index has no entry with digest ${fakeDigest('f')}`);
  });

  it('rejects a non-index media type', () => {
    expect(() => replaceIndexEntries(enc(index), OCI_MANIFEST, new Map())).toThrow(/cannot replace entries/);
  });
});
