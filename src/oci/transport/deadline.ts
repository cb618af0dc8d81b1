/** The whole-request deadline: one timer from the first hop to the body's last byte, besides the stall timer. */
import { DeadlineError } from './errors.js';

/** Bodies that move blob bytes may take long; all else (manifests, tags, tokens, writes of small JSON) may not. */
export const DEFAULT_TRANSFER_DEADLINE_MS = 30 * 60_000;
export const DEFAULT_DEADLINE_MS = 2 * 60_000;

export class Deadline {
  private readonly timer: NodeJS.Timeout;
  private expired: DeadlineError | undefined;
  private abort: ((error: DeadlineError) => void) | undefined;

  constructor(ms: number, what: string) {
    this.timer = setTimeout(() => {
      this.expired = new DeadlineError(`${what} did not finish within ${ms} ms (request deadline)`);
      this.abort?.(this.expired);
    }, ms);
    this.timer.unref?.();
  }

  /** Who to stop when time runs out: the hop in flight, later the reader of the body. */
  watch(abort: (error: DeadlineError) => void): void {
    this.abort = abort;
    if (this.expired !== undefined) abort(this.expired);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.abort = undefined;
  }
}
