/** Stall detection: a pass-through stream that aborts when no byte has moved for a while, either way. */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { StallError } from './errors.js';

export class StallWatchdog extends Transform {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: () => void,
  ) {
    super();
    this.arm();
  }

  arm(): void {
    this.disarm();
    this.timer = setTimeout(this.onStall, this.timeoutMs);
    this.timer.unref?.();
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.arm();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.disarm();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.disarm();
    callback(error);
  }
}

/** Aborts the request when the server stops reading the body we send. */
export function watchBody(body: Readable, timeoutMs: number, controller: AbortController): Readable {
  const stalled = () => controller.abort(new StallError(`upload stalled for ${timeoutMs} ms`));
  const watchdog = new StallWatchdog(timeoutMs, stalled);
  body.on('error', (error) => watchdog.destroy(error));
  return body.pipe(watchdog);
}
