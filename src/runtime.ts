/** What every layer is handed instead of reaching for globals, so tests control time and output. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export type Sleep = (ms: number) => Promise<void>;

export interface Runtime {
  logger: Logger;
  clock: Clock;
  sleep: Sleep;
  /** Uniform in [0, 1); jitter for backoff. */
  random: () => number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  notice: () => undefined,
  warning: () => undefined,
  error: () => undefined,
};

export function systemRuntime(logger: Logger): Runtime {
  return { logger, clock: systemClock, sleep: realSleep, random: Math.random };
}
