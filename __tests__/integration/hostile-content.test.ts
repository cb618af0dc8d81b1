/** Hostile content from a source registry: crafted descriptors, spool escapes, huge indexes, and a destination's own signatures. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyImage, readImageTree, type CopyOptions } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { copyReferrers } from '../../src/oci/referrer-copy.js';
import { connectRegistry, type RegistryClient } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { startHostileRegistry, sha256Of, type HostileRegistry } from '../../testbed/hostile-registry.js';
import { OCI_INDEX, OCI_MANIFEST, pushImage, serialize } from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { capturingLogger, testRuntime } from '../support/runtime.js';
import { skopeoDigestOrNull } from '../../testbed/skopeo.js';

const retry = { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 };
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const fakeDigest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('hostile content from a source registry', () => {
  let hostile: HostileRegistry;
  let dest: LocalRegistry;
  let source: RegistryClient;
  let destination: RegistryClient;
  let parent: string;
  let spool: BlobSpool;
  const logger = capturingLogger();
  const runtime = testRuntime(logger);

  beforeAll(async () => {
    dest = await startRegistry();
    destination = connectRegistry(dest.host, { runtime, retry });
  });
  afterAll(async () => {
    await dest?.stop();
  });
  beforeEach(async () => {
    hostile = await startHostileRegistry();
    source = connectRegistry(hostile.host, { runtime, retry });
    parent = mkdtempSync(join(tmpdir(), 'hostile-content-'));
    spool = await BlobSpool.create(parent);
  });
  afterEach(async () => {
    await spool.cleanup();
    rmSync(parent, { recursive: true, force: true });
    await hostile.close();
  });

  const options = (): CopyOptions => ({ runtime, spool, locations: new BlobLocations(), concurrency: 2 });
  const serve = (repository: string, reference: string, value: unknown, mediaType = OCI_MANIFEST): string =>
    hostile.manifest(repository, reference, serialize(value), mediaType);
  const image = (config: unknown, layers: unknown[]) => ({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });

  it('refuses a config digest that would write outside the spool, writes nothing and leaves no .partial', async () => {
    const attack = Buffer.from('attacker bytes');
    const layer = Buffer.from('a real layer');
    hostile.route('GET', /^\/v2\/lib\/evil\//, {
      kind: 'bytes',
      body: attack,
      contentType: 'application/octet-stream',
    });
    hostile.blob('lib/evil', layer);
    const evil = 'sha256:../../../escaped';
    const digest = serve(
      'lib/evil',
      'latest',
      image({ mediaType: CONFIG, digest: evil, size: attack.length }, [
        { mediaType: LAYER, digest: sha256Of(layer), size: layer.length },
      ]),
    );

    await expect(
      copyImage(
        { client: source, repository: 'lib/evil' },
        'latest',
        { client: destination, repository: 'copy/evil', tags: ['latest'] },
        options(),
      ),
    ).rejects.toThrow(`${hostile.host}/lib/evil@${digest}: config has an invalid digest "${evil}"`);
    expect(readdirSync(parent)).toEqual([spool.directory.slice(parent.length + 1)]);
    expect(readdirSync(spool.directory)).toEqual([]);
    expect(hostile.count('GET', /\/blobs\//)).toBe(0);
    expect(await skopeoDigestOrNull(`${dest.host}/copy/evil:latest`)).toBeNull();
  });

  it.each([
    ['a negative size', -1, 'invalid size -1'],
    ['a fractional size', 1.5, 'invalid size 1.5'],
    ['an unsafe integer size', 2 ** 53, `invalid size ${2 ** 53}`],
    ['a string size', '12', 'invalid size "12"'],
  ])('refuses a layer with %s', async (_what, size, message) => {
    const digest = serve(
      'lib/sizes',
      'latest',
      image({ mediaType: CONFIG, digest: fakeDigest(1), size: 2 }, [
        { mediaType: LAYER, digest: fakeDigest(2), size: 3 },
        { mediaType: LAYER, digest: fakeDigest(3), size },
      ]),
    );
    await expect(readImageTree({ client: source, repository: 'lib/sizes' }, digest)).rejects.toThrow(
      `${hostile.host}/lib/sizes@${digest}: layer 1 has an ${message}`,
    );
  });

  it('refuses digests that are not sha256 or sha512 hex, in layers and index entries alike', async () => {
    const bad = serve(
      'lib/digests',
      'bad-layer',
      image({ mediaType: CONFIG, digest: fakeDigest(1), size: 2 }, [{ mediaType: LAYER, digest: 'md5:abc', size: 3 }]),
    );
    await expect(readImageTree({ client: source, repository: 'lib/digests' }, bad)).rejects.toThrow(
      `layer 0 has an invalid digest "md5:abc"`,
    );
    const upper = `sha256:${'AB'.repeat(32)}`;
    const index = serve(
      'lib/digests',
      'bad-entry',
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: upper, size: 9 }] },
      OCI_INDEX,
    );
    await expect(readImageTree({ client: source, repository: 'lib/digests' }, index)).rejects.toThrow(
      `${hostile.host}/lib/digests@${index}: index entry 0 has an invalid digest "${upper}"`,
    );
  });

  it('refuses an index of more than 1,000 entries before fetching any of them', async () => {
    const manifests = Array.from({ length: 1001 }, (_, i) => ({
      mediaType: OCI_MANIFEST,
      digest: fakeDigest(i + 1),
      size: 10,
    }));
    const digest = serve('lib/wide', 'latest', { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
    await expect(readImageTree({ client: source, repository: 'lib/wide' }, digest)).rejects.toThrow(
      `${hostile.host}/lib/wide@${digest}: 1001 index entries, more than 1000`,
    );
    expect(hostile.count('GET', /\/manifests\/sha256:0+/)).toBe(0);
  });

  it('refuses an image manifest of more than 1,000 layers', async () => {
    const layers = Array.from({ length: 1001 }, (_, i) => ({ mediaType: LAYER, digest: fakeDigest(i + 2), size: 10 }));
    const digest = serve('lib/tall', 'latest', image({ mediaType: CONFIG, digest: fakeDigest(1), size: 2 }, layers));
    await expect(readImageTree({ client: source, repository: 'lib/tall' }, digest)).rejects.toThrow(
      `${hostile.host}/lib/tall@${digest}: 1001 layers, more than 1000`,
    );
  });

  it('fetches a child listed 200 times in an index once', async () => {
    const child = serialize(image({ mediaType: CONFIG, digest: fakeDigest(1), size: 2 }, []));
    const childDigest = hostile.manifest('lib/dup', sha256Of(child), child, OCI_MANIFEST);
    const entry = {
      mediaType: OCI_MANIFEST,
      digest: childDigest,
      size: child.length,
      platform: { os: 'linux', architecture: 'amd64' },
    };
    const digest = serve(
      'lib/dup',
      'latest',
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 200 }, () => entry) },
      OCI_INDEX,
    );
    const tree = await readImageTree({ client: source, repository: 'lib/dup' }, digest);
    expect(tree.root.children.map((c) => c.digest)).toEqual([childDigest]);
    expect(hostile.count('GET', `/v2/lib/dup/manifests/${childDigest}`)).toBe(1);
  });

  it("keeps a destination's own signature under a cosign tag and warns, whether or not it has the source's", async () => {
    const target = { url: dest.url };
    const signed = await pushImage(target, 'src/app', { layers: [Buffer.from('the image')] }, '1.0.0');
    await pushImage(target, 'dst/app', { layers: [Buffer.from('the image')] }, '1.0.0');
    const sigTag = `${signed.digest.replace(':', '-')}.sig`;
    const attTag = `${signed.digest.replace(':', '-')}.att`;
    const sourceSig = await pushImage(target, 'src/app', { layers: [Buffer.from('source signature')] }, sigTag);
    const sourceAtt = await pushImage(target, 'src/app', { layers: [Buffer.from('source attestation')] }, attTag);
    const counterSig = await pushImage(target, 'dst/app', { layers: [Buffer.from('counter-signature')] }, sigTag);
    const ownAtt = await pushImage(target, 'dst/app', { layers: [Buffer.from('own attestation')] }, attTag);
    // The destination already holds the source's attestation by digest, only its tag names its own.
    await pushImage(target, 'dst/app', { layers: [Buffer.from('source attestation')] });

    const registry = connectRegistry(dest.host, { runtime, retry });
    const result = await copyReferrers({
      source: { client: registry, repository: 'src/app' },
      destination: { client: registry, repository: 'dst/app' },
      subjectDigests: [signed.digest],
      options: options(),
    });
    expect(await skopeoDigestOrNull(`${dest.host}/dst/app:${sigTag}`)).toBe(counterSig.digest);
    expect(await skopeoDigestOrNull(`${dest.host}/dst/app:${attTag}`)).toBe(ownAtt.digest);
    expect(result.copied.filter((c) => c.written)).toEqual([]);
    expect(result.skipped.map((s) => s.digest).sort()).toEqual([sourceSig.digest, sourceAtt.digest].sort());
    for (const [tag, own, theirs] of [
      [sigTag, counterSig, sourceSig],
      [attTag, ownAtt, sourceAtt],
    ] as const) {
      expect(logger.lines).toContain(
        `warning: ${dest.host}/dst/app:${tag} holds ${own.digest}, not the source's ${theirs.digest}; kept, since a destination's own signature is never replaced`,
      );
    }
  });
});
