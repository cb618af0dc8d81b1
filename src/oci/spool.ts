import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from './digest.js';
import type { Descriptor } from './media-types.js';
import type { RegistryClient } from './registry.js';
import { RegistryError } from './transport.js';

/**
 * Verified copies of source blobs on local disk, so each source blob is read once per run however
 * many destinations need it, and retries read the disk rather than the (rate-limited) source.
 */
export class BlobSpool {
  private readonly entries = new Map<string, Promise<string>>();
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
  fetch(source: RegistryClient, repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<string> {
    let entry = this.entries.get(descriptor.digest);
    if (entry === undefined) {
      entry = this.download(source, repository, descriptor);
      entry.catch(() => this.entries.delete(descriptor.digest));
      this.entries.set(descriptor.digest, entry);
    }
    return entry;
  }

  open(path: string): ReturnType<typeof createReadStream> {
    return createReadStream(path, { highWaterMark: 1024 * 1024 });
  }

  async cleanup(): Promise<void> {
    this.entries.clear();
    await rm(this.directory, { recursive: true, force: true });
  }

  private async download(source: RegistryClient, repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<string> {
    const name = descriptor.digest.replace(':', '-');
    const final = join(this.directory, name);
    const partial = `${final}.partial`;
    await source.transport.withRetries(`download ${source.registry}/${repository}@${descriptor.digest}`, async () => {
      const stream = await source.getBlob(repository, descriptor);
      stream.on('data', (chunk: Buffer) => {
        this.bytesRead += chunk.length;
      });
      try {
        await pipeline(stream, createWriteStream(partial));
      } catch (error) {
        // A corrupted transfer may be a passing fault; the digest check catches it each time.
        if (error instanceof DigestMismatchError) throw new RegistryError(error.message, undefined, 'DIGEST_INVALID', true);
        throw error;
      }
    });
    await rename(partial, final);
    const { size } = await stat(final);
    if (size !== descriptor.size) throw new Error(`spool: ${descriptor.digest} has ${size} bytes on disk, expected ${descriptor.size}`);
    return final;
  }
}
