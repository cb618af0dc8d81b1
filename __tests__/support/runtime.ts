import type { Logger, Runtime } from '../../src/runtime.js';

export interface CapturingLogger extends Logger {
  lines: string[];
  text(): string;
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const add = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return {
    lines,
    text: () => lines.join('\n'),
    debug: add('debug'),
    info: add('info'),
    notice: add('notice'),
    warning: add('warning'),
    error: add('error'),
  };
}

/** Real time (the registries are real), a capturing logger and fixed jitter. */
export function testRuntime(logger: Logger = capturingLogger()): Runtime {
  return {
    logger,
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: () => 0.5,
  };
}

/** Virtual time: sleeps advance the clock instantly. */
export function virtualRuntime(logger: Logger = capturingLogger(), start = Date.UTC(2026, 10, 23)): Runtime & { slept: number[]; advance(ms: number): void } {
  let now = start;
  const slept: number[] = [];
  return {
    logger,
    clock: { now: () => now },
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 0.5,
    slept,
    advance: (ms) => void (now += ms),
  };
}
