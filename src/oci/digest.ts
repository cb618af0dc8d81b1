/** Content digests: the one validator of their form, hashing, and verification of bytes and streams. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestMismatchError extends Error {
  override name = 'DigestMismatchError';
}

export type DigestAlgorithm = 'sha256' | 'sha512';

/** The only digests this action reads or writes; anything else (`sha256:../x`, upper case) is refused. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** True for `sha256:<64 hex>`, the form cosign and the referrers fallback tags name. */
export function isSha256Digest(value: unknown): value is string {
  return typeof value === 'string' && SHA256.test(value);
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Why `value` is not a digest this action accepts, in words, or undefined when it is one. */
export function digestProblem(value: string): string | undefined {
  if (DIGEST.test(value)) return undefined;
  const algorithm = value.split(':')[0] ?? '';
  const length = HEX_LENGTH[algorithm as DigestAlgorithm] as number | undefined;
  if (length === undefined) return `"${algorithm}" is not a supported digest algorithm (sha256 or sha512)`;
  return `"${value}" is not a ${algorithm} digest of ${length} hex characters`;
}

/** A valid digest's algorithm and hex, safe to build paths and URLs from; throws on any other value. */
export function parseDigest(value: string, what = 'digest'): { algorithm: DigestAlgorithm; hex: string } {
  if (!isDigest(value)) throw new DigestMismatchError(`${what}: "${value}" is not a sha256 or sha512 digest`);
  const [algorithm, hex] = value.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function assertDigest(data: Uint8Array, expected: string, what: string): void {
  const { algorithm } = parseDigest(expected, what);
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
    this.hash = createHash(parseDigest(expectedDigest, what).algorithm);
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
    const actual = `${parseDigest(this.expectedDigest).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      callback(
        new DigestMismatchError(
          `${this.what}: content digest ${actual} does not match the expected ${this.expectedDigest}`,
        ),
      );
      return;
    }
    callback();
  }
}
