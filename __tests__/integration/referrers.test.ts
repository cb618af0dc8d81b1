import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { copyImage, type CopyOptions } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { copyReferrers } from '../../src/oci/referrer-copy.js';
import { connectRegistry, type RegistryClient } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { startProxy, type Proxy } from '../../testbed/http-proxy.js';
import {
  blob,
  OCI_INDEX,
  OCI_MANIFEST,
  pseudoRandomBytes,
  pushBlob,
  pushImage,
  pushIndex,
  pushManifest,
  pushReferrer,
  serialize,
  sha256,
  type Artifact,
  type PushedManifest,
  type Target,
} from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { capturingLogger, testRuntime } from '../support/runtime.js';
import { skopeoDigestOrNull, skopeoRaw } from '../../testbed/skopeo.js';

const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 };
const SPDX = 'application/spdx+json';
const IN_TOTO = 'application/vnd.in-toto+json';
const NOTATION = 'application/vnd.cncf.notary.signature';

/** A cosign-style signature manifest: a simple-signing payload layer carrying the signature annotation. */
async function pushCosignSignature(
  target: Target,
  repository: string,
  subject: PushedManifest,
  suffix: 'sig' | 'att',
): Promise<PushedManifest> {
  const payload = blob(
    Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `docker.io/${repository}` },
          image: { 'docker-manifest-digest': subject.digest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    ),
  );
  const config = blob(
    Buffer.from(
      JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [payload.digest] } }),
    ),
  );
  await pushBlob(target, repository, payload);
  await pushBlob(target, repository, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: [
      {
        mediaType:
          suffix === 'sig'
            ? 'application/vnd.dev.cosign.simplesigning.v1+json'
            : 'application/vnd.dsse.envelope.v1+json',
        digest: payload.digest,
        size: payload.size,
        annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQDsynthetic+signature/base64==' },
      },
    ],
  };
  const bytes = serialize(manifest);
  const tag = `${subject.digest.replace(':', '-')}.${suffix}`;
  await pushManifest(target, repository, tag, { bytes, mediaType: OCI_MANIFEST });
  return { bytes, digest: sha256(bytes), mediaType: OCI_MANIFEST, size: bytes.length };
}

function descriptorOf(artifact: Artifact): Record<string, unknown> {
  return {
    mediaType: artifact.mediaType,
    digest: artifact.digest,
    size: artifact.size,
    artifactType: artifact.artifactType,
    annotations: artifact.annotations,
  };
}

const fallback = (digest: string) => digest.replace(':', '-');

describe('copying signatures, attestations and SBOMs between real registries', () => {
  let sourceRegistry: LocalRegistry;
  let destRegistry: LocalRegistry;
  let sourceFront: Proxy;
  let destDoor: Proxy;
  let source: RegistryClient;
  let dest: RegistryClient;
  let spool: BlobSpool;
  const logger = capturingLogger();
  const runtime = testRuntime(logger);
  /** What the test front answers on `GET /v2/<repo>/referrers/<digest>`, in pages. */
  const apiPages = new Map<string, Record<string, unknown>[][]>();
  const creds = () => ({ username: destRegistry.username, password: destRegistry.password });
  const s: Record<string, PushedManifest> = {};
  const a: Record<string, Artifact> = {};

  /** Serves the referrers API for `lib/api` only; every other repository behaves like distribution 2.8. */
  const serveReferrersApi = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://front');
    const match = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (match === null || match[1] !== 'lib/api') return false;
    const pages = apiPages.get(match[2]!) ?? [[]];
    const page = Number(url.searchParams.get('page') ?? '0');
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (page + 1 < pages.length) headers.link = `<${url.pathname}?page=${page + 1}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: pages[page] ?? [] }));
    return true;
  };

  beforeAll(async () => {
    sourceRegistry = await startRegistry();
    destRegistry = await startRegistry({ auth: true });
    sourceFront = await startProxy({ target: sourceRegistry.url, intercept: serveReferrersApi });
    destDoor = await startProxy({ target: destRegistry.url });
    const target = { url: sourceRegistry.url };

    // lib/signed: an index signed with cosign, an attested child, and an SBOM (with its own signature) in the fallback tag scheme.
    const amd = await pushImage(target, 'lib/signed', { layers: [pseudoRandomBytes(4000, 21)] });
    const arm = await pushImage(target, 'lib/signed', { architecture: 'arm64', layers: [pseudoRandomBytes(4000, 22)] });
    s.index = await pushIndex(
      target,
      'lib/signed',
      [
        { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
        { manifest: arm, platform: { os: 'linux', architecture: 'arm64' } },
      ],
      { tag: '1.0.0' },
    );
    s.amd = amd;
    s.sig = await pushCosignSignature(target, 'lib/signed', s.index, 'sig');
    s.att = await pushCosignSignature(target, 'lib/signed', amd, 'att');
    a.sbom = await pushReferrer(target, 'lib/signed', s.index, SPDX, '{"spdxVersion":"SPDX-2.3","name":"signed"}');
    a.sbomSignature = await pushReferrer(target, 'lib/signed', a.sbom, NOTATION, 'synthetic notation signature');
    const sbomIndex = serialize({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptorOf(a.sbom)] });
    await pushManifest(target, 'lib/signed', fallback(s.index.digest), { bytes: sbomIndex, mediaType: OCI_INDEX });
    s.sbomIndex = { bytes: sbomIndex, digest: sha256(sbomIndex), mediaType: OCI_INDEX, size: sbomIndex.length };
    const signatureIndex = serialize({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [descriptorOf(a.sbomSignature)],
    });
    await pushManifest(target, 'lib/signed', fallback(a.sbom.digest), { bytes: signatureIndex, mediaType: OCI_INDEX });

    // lib/api: referrers only reachable through the API (no fallback tag at the source), over two pages.
    s.api = await pushImage(target, 'lib/api', { layers: [pseudoRandomBytes(5000, 23)] }, '2.0.0');
    a.provenance = await pushReferrer(
      target,
      'lib/api',
      s.api,
      IN_TOTO,
      '{"predicateType":"https://slsa.dev/provenance/v1"}',
    );
    a.apiSbom = await pushReferrer(target, 'lib/api', s.api, SPDX, '{"spdxVersion":"SPDX-2.3","name":"api"}');
    apiPages.set(s.api.digest, [[descriptorOf(a.provenance)], [descriptorOf(a.apiSbom)]]);

    source = connectRegistry(sourceFront.host, { runtime, retry });
    dest = connectRegistry(destDoor.host, {
      runtime,
      retry,
      credentials: { username: 'AWS', password: destRegistry.password! },
    });
    spool = await BlobSpool.create(tmpdir());
  });

  afterAll(async () => {
    await spool?.cleanup();
    await sourceFront?.close();
    await destDoor?.close();
    await sourceRegistry?.stop();
    await destRegistry?.stop();
  });

  const options = (): CopyOptions => ({ runtime, spool, locations: new BlobLocations(), concurrency: 4 });
  const destDigest = async (reference: string) =>
    (await skopeoRaw(`${destRegistry.host}/${reference}`, creds())).digest;

  it('copies cosign tags, per-platform attestations and fallback-tag referrers (nested too) of an index', async () => {
    await copyImage(
      { client: source, repository: 'lib/signed' },
      '1.0.0',
      { client: dest, repository: 'copy/signed', tags: ['1.0.0'] },
      options(),
    );
    const result = await copyReferrers({
      source: { client: source, repository: 'lib/signed' },
      destination: { client: dest, repository: 'copy/signed' },
      subjectDigests: [s.index!.digest],
      options: options(),
    });

    const summary = result.copied.map((c) => [c.via, c.digest, c.subject, c.tag ?? null, c.written]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['tag', s.sig!.digest, s.index!.digest, `${fallback(s.index!.digest)}.sig`, true],
        ['tag', s.att!.digest, s.amd!.digest, `${fallback(s.amd!.digest)}.att`, true],
        ['fallback-tag', a.sbom!.digest, s.index!.digest, null, true],
        ['fallback-tag', a.sbomSignature!.digest, a.sbom!.digest, null, true],
      ]),
    );
    expect(result.copied).toHaveLength(4);
    expect(result.copied.find((c) => c.digest === a.sbom!.digest)?.artifactType).toBe(SPDX);

    expect(await destDigest(`copy/signed:${fallback(s.index!.digest)}.sig`)).toBe(s.sig!.digest);
    expect(await destDigest(`copy/signed:${fallback(s.amd!.digest)}.att`)).toBe(s.att!.digest);
    expect(await destDigest(`copy/signed@${a.sbom!.digest}`)).toBe(a.sbom!.digest);
    expect(await destDigest(`copy/signed@${a.sbomSignature!.digest}`)).toBe(a.sbomSignature!.digest);
    // The destination has no referrers API: the source's fallback index arrives byte-exact.
    expect(await destDigest(`copy/signed:${fallback(s.index!.digest)}`)).toBe(s.sbomIndex!.digest);
    expect(result.fallbackTagsWritten.sort()).toEqual([fallback(s.index!.digest), fallback(a.sbom!.digest)].sort());
  });

  it('writes nothing on a re-run', async () => {
    destDoor.reset();
    const result = await copyReferrers({
      source: { client: source, repository: 'lib/signed' },
      destination: { client: dest, repository: 'copy/signed' },
      subjectDigests: [s.index!.digest],
      options: options(),
    });
    expect(result.copied).toHaveLength(4);
    expect(result.copied.every((c) => !c.written)).toBe(true);
    expect(result.fallbackTagsWritten).toEqual([]);
    expect(destDoor.countBy('PUT')).toBe(0);
    expect(destDoor.countBy('POST')).toBe(0);
  });

  it('copies referrers found through the referrers API and merges them into an existing destination fallback index', async () => {
    await copyImage(
      { client: source, repository: 'lib/api' },
      '2.0.0',
      { client: dest, repository: 'copy/api', tags: ['2.0.0'] },
      options(),
    );
    // A signature that exists only at the destination must survive the merge.
    const destTarget = { url: destRegistry.url, authorization: destRegistry.authorization };
    const local = await pushReferrer(destTarget, 'copy/api', s.api!, NOTATION, 'destination-only signature');
    await pushManifest(destTarget, 'copy/api', fallback(s.api!.digest), {
      bytes: serialize({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptorOf(local)] }),
      mediaType: OCI_INDEX,
    });

    const result = await copyReferrers({
      source: { client: source, repository: 'lib/api' },
      destination: { client: dest, repository: 'copy/api' },
      subjectDigests: [s.api!.digest],
      options: options(),
    });
    expect(result.copied.map((c) => [c.via, c.digest, c.artifactType])).toEqual([
      ['api', a.provenance!.digest, IN_TOTO],
      ['api', a.apiSbom!.digest, SPDX],
    ]);
    expect(await destDigest(`copy/api@${a.provenance!.digest}`)).toBe(a.provenance!.digest);
    expect(await destDigest(`copy/api@${a.apiSbom!.digest}`)).toBe(a.apiSbom!.digest);

    const index = JSON.parse(
      (await skopeoRaw(`${destRegistry.host}/copy/api:${fallback(s.api!.digest)}`, creds())).bytes.toString('utf8'),
    ) as {
      manifests: { digest: string; artifactType?: string }[];
    };
    expect(index.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
      [local.digest, NOTATION],
      [a.provenance!.digest, IN_TOTO],
      [a.apiSbom!.digest, SPDX],
    ]);
    expect(result.fallbackTagsWritten).toEqual([fallback(s.api!.digest)]);
  });

  it('copies only the selected artifact types', async () => {
    await copyImage(
      { client: source, repository: 'lib/api' },
      '2.0.0',
      { client: dest, repository: 'filtered/api', tags: ['2.0.0'] },
      options(),
    );
    const result = await copyReferrers({
      source: { client: source, repository: 'lib/api' },
      destination: { client: dest, repository: 'filtered/api' },
      subjectDigests: [s.api!.digest],
      options: options(),
      includeChildren: false,
      artifactTypes: [SPDX],
    });
    expect(result.copied.map((c) => c.digest)).toEqual([a.apiSbom!.digest]);
    expect(result.skipped.map((k) => k.digest)).toEqual([a.provenance!.digest]);
    expect(await skopeoDigestOrNull(`${destRegistry.host}/filtered/api@${a.provenance!.digest}`, creds())).toBeNull();
  });
});
