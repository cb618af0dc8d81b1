/** A local disk cache of verified source blobs, named by digest hex and kept inside its own directory. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, parseDigest } from './digest.js';
import { GrowingFile } from './spool-follow.js';
import type { Descriptor } from './media-types.js';
import type { RegistryClient } from './registry.js';
import { RegistryError } from './transport/errors.js';

type BlobRef = Pick<Descriptor, 'digest' | 'size'>;

/** Bytes each stream buffers: `concurrency` transfers hold a few of these each, so it bounds memory. */
const STREAM_BUFFER = 256 * 1024;
type SpoolPaths = { final: string; partial: string };

/**
 * Verified copies of source blobs on local disk, so each source blob is read once per run however
 * many destinations need it, and retries read the disk rather than the (rate-limited) source.
 * The first reader streams straight from the source while the spool fills (a tee), so the
 * spool costs no extra wall time.
 */
export class BlobSpool {
  private readonly entries = new Map<string, Promise<string>>();
  /** Tee downloads still writing their partial file, which later readers follow. */
  private readonly growing = new Map<string, GrowingFile>();
  private bytesRead = 0;

  private constructor(readonly directory: string) {}

  static async create(parent: string): Promise<BlobSpool> {
    return new BlobSpool(await mkdtemp(join(parent, 'ecr-publish-spool-')));
  }

  /** Bytes fetched from sources so far, counting retried attempts. */
  get sourceBytesRead(): number {
    return this.bytesRead;
  }

  /** The path of a verified local copy, downloading it on first use. */
  fetch(source: RegistryClient, repository: string, descriptor: BlobRef): Promise<string> {
    let entry = this.entries.get(descriptor.digest);
    if (entry === undefined) {
      let paths: SpoolPaths;
      try {
        paths = this.paths(descriptor);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      entry = this.track(descriptor.digest, this.download(source, repository, descriptor, paths));
    }
    return entry;
  }

  /**
   * The blob's bytes for one upload. The first reader gets the source stream itself, teed into the
   * spool; it errors at its end if the content does not match the digest, so an upload fed by it
   * must not be committed before it ended cleanly. Later readers get the spooled file, following it
   * while it is still being written (two repositories that need one blob upload it side by side).
   */
  read(source: RegistryClient, repository: string, descriptor: BlobRef): Readable {
    const entry = this.entries.get(descriptor.digest);
    const growing = this.growing.get(descriptor.digest);
    if (growing !== undefined) return growing.follow();
    if (entry !== undefined) return lazyStream(entry.then((path) => this.open(path)));
    const paths = this.paths(descriptor);
    const consumer = quietPassThrough();
    this.track(descriptor.digest, this.downloadTee(source, repository, descriptor, paths, consumer));
    return consumer;
  }

  open(path: string): Readable {
    return createReadStream(path, { highWaterMark: STREAM_BUFFER });
  }

  async cleanup(): Promise<void> {
    this.entries.clear();
    await rm(this.directory, { recursive: true, force: true });
  }

  private track(digest: string, entry: Promise<string>): Promise<string> {
    entry.catch(() => this.entries.delete(digest));
    this.entries.set(digest, entry);
    return entry;
  }

  /** `<dir>/<algorithm>-<hex>`, from the validated digest alone, and proven to stay inside the directory. */
  private paths(descriptor: BlobRef): SpoolPaths {
    const { algorithm, hex } = parseDigest(descriptor.digest, 'spool');
    const final = join(this.directory, `${algorithm}-${hex}`);
    // Defence in depth: the file must sit directly in the spool directory. (Not `resolve(dir, name)`: ncc rewrites that.)
    if (dirname(resolve(final)) !== resolve(this.directory))
      throw new Error(`spool: ${descriptor.digest} names a path outside the spool`);
    return { final, partial: `${final}.partial` };
  }

  /** One attempt that feeds `consumer` and the spool at once; on failure, a plain download with retries. */
  private async downloadTee(
    source: RegistryClient,
    repository: string,
    descriptor: BlobRef,
    paths: SpoolPaths,
    consumer: PassThrough,
  ): Promise<string> {
    const { final, partial } = paths;
    const growing = new GrowingFile(partial, final, descriptor.size);
    let settled = false;
    try {
      const stream = await source.getBlob(repository, descriptor);
      stream.on('data', (chunk: Buffer) => {
        this.bytesRead += chunk.length;
        growing.grew();
      });
      const file = createWriteStream(partial);
      // Followers open the file: it exists once opened, unless the download has failed by then.
      file.once('open', () => {
        if (!settled) this.growing.set(descriptor.digest, growing);
      });
      // An upload that gives up early must not hold back the spool.
      consumer.once('close', () => stream.unpipe(consumer));
      stream.pipe(consumer);
      await pipeline(stream, file);
    } catch (error) {
      // The readers may retry: the download below goes on, and its result is what later readers get.
      settled = true;
      this.growing.delete(descriptor.digest);
      growing.failed();
      consumer.destroy(new RegistryError((error as Error).message, undefined, 'BLOB_READ_FAILED', true));
      await rm(partial, { force: true });
      return this.download(source, repository, descriptor, paths);
    }
    settled = true;
    this.growing.delete(descriptor.digest);
    try {
      const committed = await this.commit(partial, final, descriptor);
      growing.done();
      return committed;
    } catch (error) {
      growing.failed();
      throw error;
    }
  }

  private async download(
    source: RegistryClient,
    repository: string,
    descriptor: BlobRef,
    paths: SpoolPaths,
  ): Promise<string> {
    const { final, partial } = paths;
    await source.transport
      .withRetries(`download ${source.registry}/${repository}@${descriptor.digest}`, async () => {
        const stream = await source.getBlob(repository, descriptor);
        stream.on('data', (chunk: Buffer) => {
          this.bytesRead += chunk.length;
        });
        try {
          await pipeline(stream, createWriteStream(partial));
        } catch (error) {
          // Unverified bytes never stay on disk, whatever ended the transfer.
          await rm(partial, { force: true });
          // A corrupted transfer may be a passing fault; the digest check catches it each time.
          if (error instanceof DigestMismatchError)
            throw new RegistryError(error.message, undefined, 'DIGEST_INVALID', true);
          throw error;
        }
      })
      .catch((error: unknown) => {
        // Out of attempts: the source itself is wrong or gone, and no reader should try again.
        throw error instanceof RegistryError
          ? new RegistryError(error.message, error.status, error.code, false)
          : error;
      });
    return this.commit(partial, final, descriptor);
  }

  private async commit(partial: string, final: string, descriptor: BlobRef): Promise<string> {
    await rename(partial, final);
    const { size } = await stat(final);
    if (size !== descriptor.size) {
      await rm(final, { force: true });
      throw new Error(`spool: ${descriptor.digest} has ${size} bytes on disk, expected ${descriptor.size}`);
    }
    return final;
  }
}

/** A stream whose source is known only later. */
function lazyStream(source: Promise<Readable>): Readable {
  const out = quietPassThrough();
  source.then(
    (stream) => {
      stream.on('error', (error) => out.destroy(error));
      out.once('close', () => stream.destroy());
      stream.pipe(out);
    },
    (error: Error) => out.destroy(error),
  );
  return out;
}

/** Its reader may already be gone when it fails; the failure stays readable as `errored`. */
function quietPassThrough(): PassThrough {
  const stream = new PassThrough({ highWaterMark: STREAM_BUFFER });
  stream.on('error', () => undefined);
  return stream;
}
