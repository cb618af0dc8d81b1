import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestMismatchError extends Error {
  override name = 'DigestMismatchError';
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function assertDigest(data: Uint8Array, expected: string, what: string): void {
  const algorithm = expected.split(':')[0];
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new DigestMismatchError(`${what}: unsupported digest algorithm "${algorithm}"`);
  }
  const actual = `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
  if (actual !== expected) {
    throw new DigestMismatchError(`${what}: content digest ${actual} does not match the expected ${expected}`);
  }
}

/**
 * A pass-through that hashes and counts what flows by, and fails the stream at its end when the
 * content is not the expected digest and size. Nothing downstream may treat the bytes as good
 * before this stream has ended cleanly.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private seen = 0;

  constructor(
    private readonly expectedDigest: string,
    private readonly expectedSize: number,
    private readonly what: string,
  ) {
    super();
    const algorithm = expectedDigest.split(':')[0] ?? '';
    if (algorithm !== 'sha256' && algorithm !== 'sha512') {
      throw new DigestMismatchError(`${what}: unsupported digest algorithm "${algorithm}"`);
    }
    this.hash = createHash(algorithm);
  }

  get bytesSeen(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expectedSize) {
      callback(new DigestMismatchError(`${this.what}: more than the expected ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.expectedSize) {
      callback(new DigestMismatchError(`${this.what}: got ${this.seen} bytes, expected ${this.expectedSize}`));
      return;
    }
    const algorithm = this.expectedDigest.split(':')[0] ?? '';
    const actual = `${algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      callback(new DigestMismatchError(`${this.what}: content digest ${actual} does not match the expected ${this.expectedDigest}`));
      return;
    }
    callback();
  }
}
