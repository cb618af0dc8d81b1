/** A spool file still being downloaded, read by later readers as it grows, so they need not wait for its end. */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { RegistryError } from './transport/errors.js';

const CHUNK = 256 * 1024;

/** Progress of one download into its partial file: bytes have arrived, it is committed, or it failed. */
export class GrowingFile {
  private state: 'growing' | 'done' | 'failed' = 'growing';
  private wake: (() => void)[] = [];
  /** Counts notifications, so a reader can tell one came while it was reading. */
  private version = 0;

  constructor(
    readonly path: string,
    /** Where the file is once committed (a follower may open it only then). */
    private readonly finalPath: string,
    readonly size: number,
  ) {}

  /** More bytes are on their way to the file. */
  grew(): void {
    this.notify();
  }

  /** The whole verified blob is in the file (renamed to its final name; open handles still read it). */
  done(): void {
    this.state = 'done';
    this.notify();
  }

  failed(): void {
    this.state = 'failed';
    this.notify();
  }

  /**
   * The file's bytes from the start, following it as it grows. It ends only once the download is
   * verified and committed, and errors (retryably) when the download fails, so an upload fed by it
   * is never committed on unverified bytes.
   */
  follow(): Readable {
    return Readable.from(this.chunks(), { objectMode: false, highWaterMark: CHUNK });
  }

  private async *chunks(): AsyncGenerator<Buffer> {
    const handle = await open(this.path, 'r')
      .catch(() => open(this.finalPath, 'r'))
      .catch(() => {
        throw this.failure();
      });
    let offset = 0;
    try {
      for (;;) {
        // Read the state first: once done, every byte is on disk, so a read of 0 means the end.
        const state = this.state;
        const version = this.version;
        if (state === 'failed') throw this.failure();
        const buffer = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, offset);
        if (bytesRead > 0) {
          offset += bytesRead;
          yield buffer.subarray(0, bytesRead);
        } else if (state === 'done') {
          break;
        } else if (version === this.version) {
          await new Promise<void>((resolve) => this.wake.push(resolve));
        }
      }
    } finally {
      await handle.close();
    }
    if (offset !== this.size) throw this.failure();
  }

  private failure(): RegistryError {
    return new RegistryError(`spool: the download of ${this.path} failed`, undefined, 'BLOB_READ_FAILED', true);
  }

  private notify(): void {
    this.version++;
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
