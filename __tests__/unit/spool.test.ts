/** The blob spool's own defences: paths only from a valid digest's hex, and no unverified `.partial` left behind. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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
});
