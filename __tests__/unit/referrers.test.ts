import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { type CopyOptions } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { OCI_INDEX, OCI_MANIFEST, type Descriptor } from '../../src/oci/media-types.js';
import { copyReferrers } from '../../src/oci/referrer-copy.js';
import { cosignTags, fallbackTag, mergeReferrersIndex, referrerDescriptor } from '../../src/oci/referrers.js';
import { RegistryClient } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { Transport } from '../../src/oci/transport/transport.js';
import { capturingLogger, virtualRuntime, type CapturingLogger } from '../support/runtime.js';

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
const D3 = `sha256:${'c'.repeat(64)}`;

/** Just enough of the distribution API, in memory, optionally with the OCI 1.1 referrers API. */
class FakeRegistry {
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly tags = new Map<string, string>();
  readonly blobs = new Map<string, Buffer>();
  readonly requests: string[] = [];
  private readonly uploads = new Map<string, Buffer>();

  constructor(readonly referrersApi: boolean | 'denied') {}

  putBlob(repository: string, bytes: Buffer): Descriptor {
    const digest = sha256(bytes);
    this.blobs.set(`${repository}@${digest}`, bytes);
    return { mediaType: 'application/octet-stream', digest, size: bytes.length };
  }

  putManifest(repository: string, value: unknown, tag?: string): Descriptor & { bytes: Buffer } {
    const bytes = Buffer.from(JSON.stringify(value, null, 2));
    const mediaType = (value as { mediaType: string }).mediaType;
    const digest = sha256(bytes);
    this.manifests.set(`${repository}@${digest}`, { bytes, mediaType });
    if (tag !== undefined) this.tags.set(`${repository}:${tag}`, digest);
    return { mediaType, digest, size: bytes.length, bytes };
  }

  tagged(repository: string, tag: string): string | undefined {
    return this.tags.get(`${repository}:${tag}`);
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const path = url.pathname;
    if (path === '/v2/') return new Response('{}', { status: 200 });
    this.requests.push(`${method} ${path}`);
    let m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(path);
    if (m !== null) return this.manifest(method, m[1]!, m[2]!, init);
    m = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(path);
    if (m !== null) return this.upload(method, m[1]!, m[2]!, url, init);
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    if (m !== null) {
      const bytes = this.blobs.get(`${m[1]}@${m[2]}`);
      if (bytes === undefined) return new Response(null, { status: 404 });
      return new Response(method === 'HEAD' ? null : bytes, {
        status: 200,
        headers: { 'content-length': String(bytes.length) },
      });
    }
    m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(path);
    if (m !== null && this.referrersApi === 'denied')
      return new Response('{"errors":[{"code":"DENIED"}]}', { status: 403 });
    if (m !== null && this.referrersApi) {
      const manifests: Descriptor[] = [];
      for (const [key, manifest] of this.manifests) {
        const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { subject?: Descriptor };
        if (key.startsWith(`${m[1]}@`) && parsed.subject?.digest === m[2]) {
          manifests.push(referrerDescriptor({ ...manifest, digest: key.slice(m[1]!.length + 1) }));
        }
      }
      return new Response(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), {
        status: 200,
        headers: { 'content-type': OCI_INDEX },
      });
    }
    return new Response('404 page not found', { status: 404 });
  }) as typeof fetch;

  private async manifest(method: string, repository: string, reference: string, init?: RequestInit): Promise<Response> {
    if (method === 'PUT') {
      const bytes = await readBody(init?.body);
      const digest = sha256(bytes);
      this.manifests.set(`${repository}@${digest}`, {
        bytes,
        mediaType: String((init?.headers as Record<string, string>)['content-type']),
      });
      if (!reference.startsWith('sha256:')) this.tags.set(`${repository}:${reference}`, digest);
      return new Response(null, { status: 201, headers: { 'docker-content-digest': digest } });
    }
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repository}:${reference}`);
    const found = digest === undefined ? undefined : this.manifests.get(`${repository}@${digest}`);
    if (found === undefined || digest === undefined) return new Response(null, { status: 404 });
    const headers = {
      'content-type': found.mediaType,
      'docker-content-digest': digest,
      'content-length': String(found.bytes.length),
    };
    return new Response(method === 'HEAD' ? null : found.bytes, { status: 200, headers });
  }

  private async upload(
    method: string,
    repository: string,
    id: string,
    url: URL,
    init?: RequestInit,
  ): Promise<Response> {
    if (method === 'POST') {
      const session = String(this.uploads.size + 1);
      this.uploads.set(session, Buffer.alloc(0));
      return new Response(null, { status: 202, headers: { location: `/v2/${repository}/blobs/uploads/${session}` } });
    }
    if (method === 'PATCH') {
      this.uploads.set(id, Buffer.concat([this.uploads.get(id)!, await readBody(init?.body)]));
      return new Response(null, { status: 202, headers: { location: `/v2/${repository}/blobs/uploads/${id}` } });
    }
    const bytes = this.uploads.get(id)!;
    const digest = url.searchParams.get('digest')!;
    if (sha256(bytes) !== digest) return new Response(null, { status: 400 });
    this.blobs.set(`${repository}@${digest}`, bytes);
    return new Response(null, { status: 201, headers: { 'docker-content-digest': digest } });
  }
}

async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body as Uint8Array);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** An image and, optionally, an SBOM referring to it; all in `repository`. */
function seedImage(registry: FakeRegistry, repository: string) {
  const config = registry.putBlob(repository, Buffer.from('{"architecture":"amd64","os":"linux"}'));
  const layer = registry.putBlob(repository, Buffer.from('layer bytes'));
  const image = registry.putManifest(
    repository,
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [{ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
    },
    '1.0',
  );
  return image;
}

function seedReferrer(
  registry: FakeRegistry,
  repository: string,
  subject: Descriptor,
  artifactType: string,
  payload: string,
) {
  const empty = registry.putBlob(repository, Buffer.from('{}'));
  const body = registry.putBlob(repository, Buffer.from(payload));
  return registry.putManifest(repository, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { ...empty, mediaType: 'application/vnd.oci.empty.v1+json' },
    layers: [{ ...body, mediaType: artifactType }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
}

describe('referrer tags and index merging', () => {
  it('names the fallback and cosign tags of a digest', () => {
    expect(fallbackTag(D1)).toBe(`sha256-${'a'.repeat(64)}`);
    expect(cosignTags(D1)).toEqual(['sig', 'att', 'sbom'].map((s) => `sha256-${'a'.repeat(64)}.${s}`));
    expect(() => fallbackTag('latest')).toThrow('"latest" is not a sha256 digest');
  });

  it('keeps every existing entry, appends new ones once, and reports no change when nothing is new', () => {
    const existing = {
      schemaVersion: 2 as const,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: D1, size: 10, artifactType: 'x' }],
      annotations: { keep: 'me' },
    };
    const merged = mergeReferrersIndex(existing, [
      { mediaType: OCI_MANIFEST, digest: D2, size: 20 },
      { mediaType: OCI_MANIFEST, digest: D1, size: 10 },
      { mediaType: OCI_MANIFEST, digest: D2, size: 20 },
    ]);
    expect(merged.changed).toBe(true);
    expect(merged.index.manifests.map((d) => d.digest)).toEqual([D1, D2]);
    expect(merged.index.manifests[0]?.artifactType).toBe('x');
    expect(merged.index.annotations).toEqual({ keep: 'me' });
    expect(mergeReferrersIndex(merged.index, [{ mediaType: OCI_MANIFEST, digest: D2, size: 20 }]).changed).toBe(false);
    const fresh = mergeReferrersIndex(undefined, [{ mediaType: OCI_MANIFEST, digest: D3, size: 3 }]);
    expect(fresh).toEqual({
      changed: true,
      index: { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: D3, size: 3 }] },
    });
  });

  it('describes a referrer by its artifactType, else its config media type, with its annotations', () => {
    const withType = Buffer.from(
      JSON.stringify({
        artifactType: 'application/spdx+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json' },
        annotations: { a: 'b' },
      }),
    );
    expect(referrerDescriptor({ bytes: withType, mediaType: OCI_MANIFEST, digest: D1 })).toEqual({
      mediaType: OCI_MANIFEST,
      digest: D1,
      size: withType.length,
      artifactType: 'application/spdx+json',
      annotations: { a: 'b' },
    });
    const configOnly = Buffer.from(JSON.stringify({ config: { mediaType: 'application/vnd.cncf.notary.signature' } }));
    expect(referrerDescriptor({ bytes: configOnly, mediaType: OCI_MANIFEST, digest: D2 }).artifactType).toBe(
      'application/vnd.cncf.notary.signature',
    );
  });
});

describe('copyReferrers against in-memory registries', () => {
  let spool: BlobSpool;
  beforeAll(async () => {
    spool = await BlobSpool.create(tmpdir());
  });
  afterAll(async () => {
    await spool.cleanup();
  });

  function connect(registry: FakeRegistry, name: string, runtime: ReturnType<typeof virtualRuntime>) {
    return new RegistryClient(
      new Transport(name, { runtime, fetch: registry.fetch, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
    );
  }

  function world(destinationApi: boolean | 'denied') {
    const logger: CapturingLogger = capturingLogger();
    const runtime = virtualRuntime(logger);
    const src = new FakeRegistry(false);
    const dst = new FakeRegistry(destinationApi);
    const source = { client: connect(src, 'source.example', runtime), repository: 'lib/app' };
    const destination = { client: connect(dst, 'dest.example', runtime), repository: 'app' };
    const options: CopyOptions = { runtime, spool, locations: new BlobLocations(), concurrency: 2 };
    const image = seedImage(src, 'lib/app');
    // The subject is already copied, byte-exact.
    dst.manifests.set(`app@${image.digest}`, src.manifests.get(`lib/app@${image.digest}`)!);
    return { logger, src, dst, source, destination, options, image };
  }

  it('writes referrers by digest and no fallback tag where the destination serves the referrers API', async () => {
    const { src, dst, source, destination, options, image } = world(true);
    const sbom = seedReferrer(src, 'lib/app', image, 'application/spdx+json', '{"spdxVersion":"SPDX-2.3"}');
    src.putManifest(
      'lib/app',
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [referrerDescriptor({ ...sbom, digest: sbom.digest })] },
      fallbackTag(image.digest),
    );

    const result = await copyReferrers({ source, destination, subjectDigests: [image.digest], options });
    expect(result.copied).toEqual([
      {
        subject: image.digest,
        digest: sbom.digest,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/spdx+json',
        via: 'fallback-tag',
        written: true,
      },
    ]);
    expect(dst.manifests.get(`app@${sbom.digest}`)?.bytes.equals(sbom.bytes)).toBe(true);
    expect(dst.tagged('app', fallbackTag(image.digest))).toBeUndefined();
    expect(result.fallbackTagsWritten).toEqual([]);
    expect(result.stats.blobsUploaded).toBe(2);
  });

  it('treats a denied referrers API as none and keeps the fallback tag instead', async () => {
    const { src, dst, source, destination, options, image } = world('denied');
    const sbom = seedReferrer(src, 'lib/app', image, 'application/spdx+json', 'sbom');
    const sourceIndex = src.putManifest(
      'lib/app',
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [referrerDescriptor(sbom)] },
      fallbackTag(image.digest),
    );

    const result = await copyReferrers({ source, destination, subjectDigests: [image.digest], options });
    expect(result.copied.map((c) => [c.via, c.digest])).toEqual([['fallback-tag', sbom.digest]]);
    expect(dst.requests.filter((r) => r.includes('/referrers/'))).toHaveLength(1);
    expect(result.fallbackTagsWritten).toEqual([fallbackTag(image.digest)]);
    expect(dst.tagged('app', fallbackTag(image.digest))).toBe(sourceIndex.digest);
  });

  it('skips a listed referrer whose subject is another digest, with a warning', async () => {
    const { logger, src, dst, source, destination, options, image } = world(false);
    const stray = seedReferrer(
      src,
      'lib/app',
      { mediaType: OCI_MANIFEST, digest: D3, size: 5 },
      'application/spdx+json',
      'stray',
    );
    src.putManifest(
      'lib/app',
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: stray.digest, size: stray.size }],
      },
      fallbackTag(image.digest),
    );

    const result = await copyReferrers({ source, destination, subjectDigests: [image.digest], options });
    expect(result.copied).toEqual([]);
    expect(result.skipped).toEqual([
      { subject: image.digest, digest: stray.digest, reason: `its subject is ${D3}, not ${image.digest}` },
    ]);
    expect(dst.manifests.has(`app@${stray.digest}`)).toBe(false);
    expect(dst.tagged('app', fallbackTag(image.digest))).toBeUndefined();
    expect(logger.text()).toContain(`referrer ${stray.digest} is listed for ${image.digest} but its subject is ${D3}`);
  });

  it('tags a cosign signature whose content the destination already has without reading the source manifest', async () => {
    const { src, dst, source, destination, options, image } = world(false);
    const payload = src.putBlob('lib/app', Buffer.from('{"critical":{}}'));
    const sigTag = `${fallbackTag(image.digest)}.sig`;
    const signature = src.putManifest(
      'lib/app',
      { schemaVersion: 2, mediaType: OCI_MANIFEST, config: payload, layers: [payload] },
      sigTag,
    );
    dst.manifests.set(`app@${signature.digest}`, src.manifests.get(`lib/app@${signature.digest}`)!);

    const result = await copyReferrers({ source, destination, subjectDigests: [image.digest], options });
    expect(result.copied).toEqual([
      {
        subject: image.digest,
        digest: signature.digest,
        mediaType: OCI_MANIFEST,
        via: 'tag',
        tag: sigTag,
        written: true,
      },
    ]);
    expect(dst.tagged('app', sigTag)).toBe(signature.digest);
    expect(src.requests.filter((r) => r.startsWith('GET') && r.includes('/manifests/'))).toEqual([]);
  });

  it('keeps a destination cosign tag that names another digest (its own signature), with a warning', async () => {
    const { src, dst, source, destination, options, image, logger } = world(false);
    const payload = src.putBlob('lib/app', Buffer.from('{"critical":{}}'));
    const sigTag = `${fallbackTag(image.digest)}.sig`;
    const signature = src.putManifest(
      'lib/app',
      { schemaVersion: 2, mediaType: OCI_MANIFEST, config: payload, layers: [payload] },
      sigTag,
    );
    dst.manifests.set(`app@${signature.digest}`, src.manifests.get(`lib/app@${signature.digest}`)!);
    const own = dst.putManifest(
      'app',
      { schemaVersion: 2, mediaType: OCI_MANIFEST, config: payload, layers: [payload, payload] },
      sigTag,
    );

    const result = await copyReferrers({ source, destination, subjectDigests: [image.digest], options });
    expect(result.copied).toEqual([]);
    expect(result.skipped).toEqual([
      { subject: image.digest, digest: signature.digest, reason: `the destination's ${sigTag} holds ${own.digest}` },
    ]);
    expect(dst.tagged('app', sigTag)).toBe(own.digest);
    expect(logger.text()).toContain(
      `warning: dest.example/app:${sigTag} holds ${own.digest}, not the source's ${signature.digest}; kept`,
    );
  });

  it('refuses to overwrite a destination fallback tag that is not an index', async () => {
    const { src, dst, source, destination, options, image } = world(false);
    const sbom = seedReferrer(src, 'lib/app', image, 'application/spdx+json', 'sbom');
    src.putManifest(
      'lib/app',
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.size }],
      },
      fallbackTag(image.digest),
    );
    const squatter = dst.putManifest(
      'app',
      { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: D1, size: 1 }, layers: [] },
      fallbackTag(image.digest),
    );

    await expect(copyReferrers({ source, destination, subjectDigests: [image.digest], options })).rejects.toThrow(
      `dest.example/app:${fallbackTag(image.digest)} holds a ${OCI_MANIFEST}, not a referrers index; not overwritten`,
    );
    expect(dst.tagged('app', fallbackTag(image.digest))).toBe(squatter.digest);
  });

  it('warns and copies nothing for a subject the destination does not have', async () => {
    const { logger, source, destination, options } = world(false);
    const result = await copyReferrers({ source, destination, subjectDigests: [D2], options });
    expect(result.copied).toEqual([]);
    expect(logger.text()).toContain(
      `warning: app: ${D2} is not in the destination, so its signatures and attestations are not copied`,
    );
    await expect(copyReferrers({ source, destination, subjectDigests: ['latest'], options })).rejects.toThrow(
      'referrers: subject "latest" is not a sha256 digest',
    );
  });
});
