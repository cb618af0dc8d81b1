/** Test runtimes: a capturing logger, real time, and virtual time whose sleeps advance the clock instantly. */
import type { Logger, Runtime } from '../../src/runtime.js';

export type LogLevel = keyof Logger;

export interface CapturingLogger extends Logger {
  /** `level: message`, in order. */
  lines: string[];
  /** The bare messages, in order. */
  messages: string[];
  entries: { level: LogLevel; message: string }[];
  text(): string;
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const messages: string[] = [];
  const entries: CapturingLogger['entries'] = [];
  const add = (level: LogLevel) => (message: string) => {
    lines.push(`${level}: ${message}`);
    messages.push(message);
    entries.push({ level, message });
  };
  return {
    lines,
    messages,
    entries,
    text: () => lines.join('\n'),
    debug: add('debug'),
    info: add('info'),
    notice: add('notice'),
    warning: add('warning'),
    error: add('error'),
  };
}

/** Real time (the registries are real), a capturing logger and fixed jitter unless told. */
export function testRuntime(logger: Logger = capturingLogger(), random: () => number = () => 0.5): Runtime {
  return {
    logger,
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random,
  };
}

export interface VirtualRuntime extends Runtime {
  /** Every sleep asked for, in ms. */
  slept: number[];
  advance(ms: number): void;
  /** Virtual ms since the start. */
  elapsed(): number;
}

/** Virtual time: sleeps advance the clock instantly. */
export function virtualRuntime(
  logger: Logger = capturingLogger(),
  start = Date.UTC(2026, 10, 23),
  random = 0.5,
): VirtualRuntime {
  let now = start;
  const slept: number[] = [];
  return {
    logger,
    clock: { now: () => now },
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => random,
    slept,
    advance: (ms) => void (now += ms),
    elapsed: () => now - start,
  };
}
