/** Docker Hub's pull quota: reads its rate-limit headers, warns when it runs low and waits out a spent one. */
import type { Runtime } from '../runtime.js';
import { retryAfterMs } from '../retry.js';
import type { TransportOptions } from './transport/transport.js';

/** A `ratelimit-limit` / `ratelimit-remaining` value such as `100;w=21600`. */
export interface RateLimitValue {
  value: number;
  windowSeconds?: number;
}

/** What one registry host has told us about its pull quota. */
export interface HostRateLimit {
  host: string;
  limit?: number;
  windowSeconds?: number;
  /** The latest `ratelimit-remaining`. */
  remaining: number;
  /** The lowest `ratelimit-remaining` seen this run. */
  lowestRemaining: number;
}

export interface RateLimitObserverOptions {
  runtime: Pick<Runtime, 'clock' | 'logger'>;
  /** Longest this run spends, in total, waiting for an exhausted quota. Default 10 minutes. */
  maxWaitMs?: number;
  /** Wait between tries when the registry sends no `Retry-After`. Default 60 s. */
  pollMs?: number;
  /** Fewer pulls left than this is worth a warning. Default 20. */
  lowRemaining?: number;
  /** … or fewer than this share of the limit. Default 0.1. */
  lowFraction?: number;
}

type ResponseLike = Pick<Response, 'status' | 'headers'>;

interface HostState extends HostRateLimit {
  /** When the current wait for an exhausted quota began. */
  exhaustedSince?: number;
}

/**
 * `100;w=21600` → 100 per 21600 s. Also reads the IETF draft's `100, 100;w=21600` by its first
 * number. `undefined` when absent or unreadable.
 */
export function parseRateLimitHeader(header: string | null): RateLimitValue | undefined {
  if (header === null) return undefined;
  const value = /^\s*(\d+)/.exec(header)?.[1];
  if (value === undefined) return undefined;
  const window = /(?:^|;)\s*w=(\d+)/.exec(header)?.[1];
  return window === undefined ? { value: Number(value) } : { value: Number(value), windowSeconds: Number(window) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * Watches registry rate-limit headers (Docker Hub's pull limit). Fed every response through
 * `TransportOptions.onResponse`; tells the transport, through `throttleWaitMs`, to wait out a
 * 429 that says the quota is spent (`ratelimit-remaining: 0`) instead of failing, within a
 * total time budget per run. Other 429s (ECR Public's TPS throttling) keep the transport's
 * usual Retry-After and backoff handling.
 */
export class RateLimitObserver {
  private readonly hosts = new Map<string, HostState>();
  /** Time spent in waits that have ended. */
  private waitedBeforeMs = 0;
  private gaveUp = false;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: RateLimitObserverOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 10 * 60_000;
    this.pollMs = options.pollMs ?? 60_000;
  }

  /** The two transport hooks, to spread into `TransportOptions` of a source registry. */
  transportHooks(): Required<Pick<TransportOptions, 'onResponse' | 'throttleWaitMs'>> {
    return {
      onResponse: (response, request) => this.observe(response, request),
      throttleWaitMs: (response, request) => this.throttleWaitMs(response, request),
    };
  }

  observe(response: ResponseLike, request: { method: string; url: string }): void {
    const remaining = parseRateLimitHeader(response.headers.get('ratelimit-remaining'));
    if (remaining === undefined) return;
    const host = hostOf(request.url);
    const limit = parseRateLimitHeader(response.headers.get('ratelimit-limit'));
    const state = this.hosts.get(host) ?? { host, remaining: remaining.value, lowestRemaining: remaining.value };
    state.remaining = remaining.value;
    state.lowestRemaining = Math.min(state.lowestRemaining, remaining.value);
    if (limit !== undefined) state.limit = limit.value;
    const windowSeconds = limit?.windowSeconds ?? remaining.windowSeconds;
    if (windowSeconds !== undefined) state.windowSeconds = windowSeconds;
    this.hosts.set(host, state);
    if (state.exhaustedSince !== undefined && response.status < 400 && remaining.value > 0) {
      const waited = this.options.runtime.clock.now() - state.exhaustedSince;
      this.waitedBeforeMs += waited;
      delete state.exhaustedSince;
      this.options.runtime.logger.info(
        `${host}: pulls are allowed again after waiting ${duration(waited)} (${remaining.value} left)`,
      );
    }
  }

  /** Milliseconds to wait before trying again, or `undefined` when this 429 is not a spent quota or the budget is used up. */
  throttleWaitMs(response: ResponseLike, request: { method: string; url: string }): number | undefined {
    if (response.status !== 429) return undefined;
    const remaining = parseRateLimitHeader(response.headers.get('ratelimit-remaining'));
    if (remaining === undefined || remaining.value > 0) return undefined;
    const { clock, logger } = this.options.runtime;
    const now = clock.now();
    const host = hostOf(request.url);
    if (!this.hosts.has(host)) this.observe(response, request);
    const state = this.hosts.get(host)!;
    const left = this.maxWaitMs - this.waitedMs();
    if (left <= 0) {
      if (!this.gaveUp) {
        this.gaveUp = true;
        logger.warning(
          `${host}: pull rate limit still exhausted after waiting ${duration(this.maxWaitMs)}; giving up. ${this.advice(state)}`,
        );
      }
      return undefined;
    }
    if (state.exhaustedSince === undefined) {
      state.exhaustedSince = now;
      logger.warning(
        `${host}: pull rate limit reached (${this.describeLimit(state)}); waiting up to ${duration(left)} for it to recover`,
      );
    }
    const hinted = retryAfterMs(response.headers.get('retry-after'), now);
    return Math.max(1, Math.min(hinted ?? this.pollMs, left));
  }

  /** Total time spent waiting for quotas, including a wait in progress. */
  waitedMs(): number {
    const now = this.options.runtime.clock.now();
    let total = this.waitedBeforeMs;
    for (const state of this.hosts.values())
      if (state.exhaustedSince !== undefined) total += now - state.exhaustedSince;
    return total;
  }

  snapshot(): HostRateLimit[] {
    return [...this.hosts.values()].map(({ exhaustedSince: _exhaustedSince, ...state }) => state);
  }

  /** One line per host whose quota ran low this run, for the summary; empty when all is well. */
  lowQuotaWarnings(): string[] {
    const lowRemaining = this.options.lowRemaining ?? 20;
    const lowFraction = this.options.lowFraction ?? 0.1;
    return [...this.hosts.values()]
      .filter(
        (state) =>
          state.lowestRemaining < lowRemaining ||
          (state.limit !== undefined && state.lowestRemaining < state.limit * lowFraction),
      )
      .map(
        (state) =>
          `${state.host}: only ${this.describeLimit(state, state.lowestRemaining)} at the lowest point of this run. ${this.advice(state)}`,
      );
  }

  private describeLimit(state: HostState, remaining = state.remaining): string {
    const per = state.windowSeconds === undefined ? '' : ` per ${duration(state.windowSeconds * 1000)}`;
    return state.limit === undefined ? `${remaining} pulls left` : `${remaining} of ${state.limit} pulls left${per}`;
  }

  private advice(state: HostState): string {
    return state.windowSeconds === undefined
      ? 'Authenticated pulls have a higher limit.'
      : `Pulls free up over a ${duration(state.windowSeconds * 1000)} window; authenticated pulls have a higher limit.`;
  }
}
