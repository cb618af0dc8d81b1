/** Synthetic image seeding over the distribution API, independent of the code under test. */
import { createHash } from 'node:crypto';

/** Seeds synthetic images straight through the distribution API, independent of the code under test. */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export interface Target {
  url: string;
  authorization?: string | undefined;
}

export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
}

export interface PushedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  size: number;
}

export const sha256 = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Deterministic pseudo-random bytes (xorshift), cheap enough for large layers. */
export function pseudoRandomBytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < size; i++) out[i] = (x >>> ((i % 4) * 8)) & 0xff;
  return out;
}

export function blob(bytes: Buffer): Blob {
  return { bytes, digest: sha256(bytes), size: bytes.length };
}

function headers(target: Target, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization !== undefined ? { authorization: target.authorization, ...extra } : extra;
}

export async function pushBlob(target: Target, repository: string, b: Blob): Promise<void> {
  const head = await fetch(`${target.url}/v2/${repository}/blobs/${b.digest}`, {
    method: 'HEAD',
    headers: headers(target),
  });
  if (head.status === 200) return;
  const start = await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(target),
  });
  if (start.status !== 202) throw new Error(`seed: POST upload ${start.status}`);
  const location = new URL(start.headers.get('location')!, target.url);
  location.searchParams.set('digest', b.digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(target, { 'content-type': 'application/octet-stream', 'content-length': String(b.size) }),
    body: b.bytes,
  });
  if (put.status !== 201) throw new Error(`seed: PUT blob ${put.status} ${await put.text()}`);
}

export async function pushManifest(
  target: Target,
  repository: string,
  reference: string,
  manifest: { bytes: Buffer; mediaType: string },
): Promise<void> {
  const put = await fetch(`${target.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(target, { 'content-type': manifest.mediaType }),
    body: manifest.bytes,
  });
  if (put.status !== 201)
    throw new Error(`seed: PUT manifest ${repository}:${reference} ${put.status} ${await put.text()}`);
}

/** Unusual but valid JSON layout, so a copier that re-serializes manifests changes their digests. */
export function serialize(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 3)}\n`);
}

export interface ImageSpec {
  family?: 'oci' | 'docker';
  layers: Buffer[];
  labels?: Record<string, string>;
  architecture?: string;
  os?: string;
  /** Layers clients fetch elsewhere (`urls`); only their descriptors are pushed. */
  foreignLayers?: { size: number; digest: string; url: string }[];
  configExtra?: Record<string, unknown>;
}

export interface SeededImage extends PushedManifest {
  config: Blob;
  layers: Blob[];
}

export async function pushImage(
  target: Target,
  repository: string,
  spec: ImageSpec,
  tag?: string,
): Promise<SeededImage> {
  const oci = (spec.family ?? 'oci') === 'oci';
  const layers = spec.layers.map(blob);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: spec.architecture ?? 'amd64',
        os: spec.os ?? 'linux',
        config: { Labels: spec.labels ?? {} },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
        ...spec.configExtra,
      }),
    ),
  );
  for (const b of [config, ...layers]) await pushBlob(target, repository, b);
  const layerType = oci
    ? 'application/vnd.oci.image.layer.v1.tar+gzip'
    : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  const mediaType = oci ? OCI_MANIFEST : DOCKER_MANIFEST;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
      digest: config.digest,
      size: config.size,
    },
    layers: [
      ...layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
      ...(spec.foreignLayers ?? []).map((f) => ({
        mediaType: oci
          ? 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'
          : 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
        digest: f.digest,
        size: f.size,
        urls: [f.url],
      })),
    ],
  };
  const bytes = serialize(manifest);
  const digest = sha256(bytes);
  await pushManifest(target, repository, tag ?? digest, { bytes, mediaType });
  return { bytes, digest, mediaType, size: bytes.length, config, layers };
}

export async function pushIndex(
  target: Target,
  repository: string,
  entries: {
    manifest: PushedManifest;
    platform: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }[],
  options: { family?: 'oci' | 'docker'; tag?: string } = {},
): Promise<PushedManifest> {
  const mediaType = (options.family ?? 'oci') === 'oci' ? OCI_INDEX : DOCKER_LIST;
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({
      mediaType: e.manifest.mediaType,
      digest: e.manifest.digest,
      size: e.manifest.size,
      platform: e.platform,
      ...(e.annotations ? { annotations: e.annotations } : {}),
    })),
  };
  const bytes = serialize(index);
  const digest = sha256(bytes);
  await pushManifest(target, repository, options.tag ?? digest, { bytes, mediaType });
  return { bytes, digest, mediaType, size: bytes.length };
}

export interface Artifact extends PushedManifest {
  artifactType: string;
  annotations: Record<string, string>;
}

/** An OCI 1.1 artifact manifest whose `subject` names another manifest, pushed by digest. */
export async function pushReferrer(
  target: Target,
  repository: string,
  subject: PushedManifest,
  artifactType: string,
  payload: string,
): Promise<Artifact> {
  const config = blob(Buffer.from('{}'));
  const layer = blob(Buffer.from(payload));
  await pushBlob(target, repository, config);
  await pushBlob(target, repository, layer);
  const annotations = { 'org.opencontainers.image.created': '2026-11-01T00:00:00Z' };
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config.digest, size: config.size },
    layers: [{ mediaType: artifactType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = serialize(manifest);
  const digest = sha256(bytes);
  await pushManifest(target, repository, digest, { bytes, mediaType: OCI_MANIFEST });
  return { bytes, digest, mediaType: OCI_MANIFEST, size: bytes.length, artifactType, annotations };
}
