/** Backoff, Retry-After and write pacing, shared by the registry transport and the AWS credential exchange. */
import type { Runtime } from './runtime.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 400, maxDelayMs: 20_000 };

/** Exponential with jitter: half of the capped ceiling, plus up to the other half at random. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Seconds or an HTTP date → milliseconds to wait. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface Retrying {
  policy: RetryPolicy;
  runtime: Pick<Runtime, 'sleep' | 'random'>;
  /**
   * After a failed attempt that has attempts left: throw to give up (the error, or one that
   * explains it), or return how long to wait. `backoff()` is the policy's jittered wait; it is
   * only drawn when asked for, so a wait the server hinted at does not consume randomness.
   */
  onFailure(error: unknown, attempt: number, backoff: () => number): number;
}

/** Runs `attempt` until it succeeds, `onFailure` gives up, or the policy's attempts run out. */
export async function retrying<T>(attempt: (n: number) => Promise<T>, how: Retrying): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= how.policy.maxAttempts) throw error;
      const delay = how.onFailure(error, n, () => backoffMs(n, how.policy, how.runtime.random));
      await how.runtime.sleep(delay);
    }
  }
}

/**
 * Spaces out write requests to one host: ECR Public allows 10 TPS for upload starts, completions and
 * manifest PUTs. Turns are taken one at a time and measured from when the previous one really
 * went, so a late wake-up on a busy machine spreads requests out rather than bunching them.
 */
export class Pacer {
  private queue: Promise<void> = Promise.resolve();
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly perSecond: number,
    private readonly runtime: Pick<Runtime, 'clock' | 'sleep'>,
  ) {}

  take(): Promise<void> {
    if (!(this.perSecond > 0)) return Promise.resolve();
    const turn = this.queue.then(async () => {
      const wait = this.last + 1000 / this.perSecond - this.runtime.clock.now();
      if (wait > 0) await this.runtime.sleep(wait);
      this.last = this.runtime.clock.now();
    });
    this.queue = turn;
    return turn;
  }
}
