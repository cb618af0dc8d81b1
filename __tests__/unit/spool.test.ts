/** The blob spool's own defences: paths only from a valid digest's hex, and no unverified `.partial` left behind. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DigestVerifier, sha256Digest } from '../../src/oci/digest.js';
import type { RegistryClient } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';

/** A source whose blob stream is chosen per test; one attempt per download. */
function sourceServing(stream: () => Readable): RegistryClient {
  return {
    registry: 'source.example',
    transport: { withRetries: <T>(_what: string, work: () => Promise<T>) => work() },
    getBlob: async () => stream(),
  } as unknown as RegistryClient;
}

const verified = (bytes: Buffer, digest: string, size: number): Readable =>
  Readable.from([bytes]).pipe(new DigestVerifier(digest, size, `blob ${digest}`));

describe('blob spool', () => {
  let parent: string;
  let spool: BlobSpool;
  beforeEach(async () => {
    parent = mkdtempSync(join(tmpdir(), 'spool-test-'));
    spool = await BlobSpool.create(parent);
  });
  afterEach(async () => {
    await spool.cleanup();
    rmSync(parent, { recursive: true, force: true });
  });
  const spoolName = (): string => spool.directory.slice(parent.length + 1);

  it('refuses a digest that is not sha256/sha512 hex before touching the disk', async () => {
    const source = sourceServing(() => Readable.from([Buffer.from('x')]));
    const escape = { digest: 'sha256:../../../escaped', size: 1 };
    await expect(spool.fetch(source, 'lib/app', escape)).rejects.toThrow(
      'spool: "sha256:../../../escaped" is not a sha256 or sha512 digest',
    );
    expect(() => spool.read(source, 'lib/app', escape)).toThrow('is not a sha256 or sha512 digest');
    expect(readdirSync(parent)).toEqual([spoolName()]);
    expect(readdirSync(spool.directory)).toEqual([]);
  });

  it('names files <algorithm>-<hex> inside its directory', async () => {
    const bytes = Buffer.from('layer');
    const digest = sha256Digest(bytes);
    const path = await spool.fetch(
      sourceServing(() => verified(bytes, digest, bytes.length)),
      'lib/app',
      { digest, size: bytes.length },
    );
    expect(path).toBe(join(spool.directory, digest.replace(':', '-')));
  });

  it('removes the .partial file when the content does not match its digest', async () => {
    const digest = sha256Digest(Buffer.from('expected'));
    const source = sourceServing(() => verified(Buffer.from('attacker'), digest, 8));
    await expect(spool.fetch(source, 'lib/app', { digest, size: 8 })).rejects.toThrow('does not match the expected');
    expect(readdirSync(spool.directory)).toEqual([]);
  });

  it('removes the .partial file when the stream fails, for the first (teed) reader too', async () => {
    const digest = sha256Digest(Buffer.from('expected'));
    const failing = (): Readable =>
      new Readable({
        read() {
          this.push(Buffer.from('half'));
          this.destroy(new Error('connection reset'));
        },
      });
    const consumer = spool.read(sourceServing(failing), 'lib/app', { digest, size: 8 });
    await expect(new Promise((_resolve, reject) => consumer.on('error', reject).resume())).rejects.toThrow(
      'connection reset',
    );
    await expect(spool.fetch(sourceServing(failing), 'lib/app', { digest, size: 8 })).rejects.toThrow(
      'connection reset',
    );
    expect(readdirSync(spool.directory)).toEqual([]);
  });

  const collect = (stream: Readable): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });

  it('a second reader follows the file while the first download still writes it, and ends only when it is verified', async () => {
    const bytes = Buffer.alloc(3 * 256 * 1024 + 5, 7);
    const digest = sha256Digest(bytes);
    const feed = new PassThrough();
    const source = sourceServing(() => feed.pipe(new DigestVerifier(digest, bytes.length, `blob ${digest}`)));
    const first = spool.read(source, 'lib/app', { digest, size: bytes.length });
    const firstBytes = collect(first);
    feed.write(bytes.subarray(0, 300_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = spool.read(source, 'lib/app', { digest, size: bytes.length });
    let secondEnded = false;
    const secondBytes = collect(second).then((b) => ((secondEnded = true), b));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondEnded).toBe(false);
    feed.end(bytes.subarray(300_000));
    expect((await firstBytes).equals(bytes)).toBe(true);
    expect((await secondBytes).equals(bytes)).toBe(true);
  });

  it('a reader following the file fails, retryably, when the download turns out corrupt', async () => {
    const digest = sha256Digest(Buffer.from('expected'));
    const feed = new PassThrough();
    const source = sourceServing(() => feed.pipe(new DigestVerifier(digest, 8, `blob ${digest}`)));
    const first = collect(spool.read(source, 'lib/app', { digest, size: 8 }));
    feed.write(Buffer.from('atta'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = collect(
      spool.read(
        sourceServing(() => verified(Buffer.from('attacker'), digest, 8)),
        'lib/app',
        { digest, size: 8 },
      ),
    );
    feed.end(Buffer.from('cker'));
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toMatchObject({ code: 'BLOB_READ_FAILED', transient: true });
  });
});
