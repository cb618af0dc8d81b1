/** Registry failures: the error classes, which of them are worth another try, and one-line descriptions. */
import { readCapped } from './read-capped.js';

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export class StallError extends Error {
  override name = 'StallError';
}

/** The whole-request deadline passed (a body that drips never trips the stall timer). */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** A transient answer that said how long to wait (`Retry-After`). */
export class RetryAfterError extends RegistryError {
  constructor(
    message: string,
    status: number,
    code: string | undefined,
    readonly retryAfterMs: number,
  ) {
    super(message, status, code, true);
  }
}

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isTransient(error: unknown): boolean {
  if (error instanceof RegistryError) return error.transient;
  if (error instanceof StallError || error instanceof DeadlineError) return true;
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** Connection resets, DNS hiccups, stalls and aborted bodies are worth another try. */
export function asTransportError(error: unknown, method: string, url: string): Error {
  if (error instanceof RegistryError) return error;
  const cause = (error as { cause?: unknown }).cause;
  const late = error instanceof DeadlineError ? error : cause instanceof DeadlineError ? cause : undefined;
  if (late !== undefined) return new RegistryError(late.message, undefined, undefined, true);
  const name = (error as Error)?.name;
  const stalled =
    error instanceof StallError || cause instanceof StallError || name === 'AbortError' || name === 'TimeoutError';
  const detail =
    cause instanceof Error
      ? `${(cause as { code?: string }).code ?? cause.name}: ${cause.message}`
      : ((error as Error)?.message ?? String(error));
  const message = `${method} ${redactUrl(url)} failed: ${stalled ? 'stalled' : detail}`;
  return new RegistryError(message, undefined, undefined, true);
}

/**
 * The registry's JSON error list, in one line. Reads at most 64 KiB of the body, and `scrub`
 * takes secrets out of it (a registry may echo our Authorization) before anything is cut.
 */
export async function describeError(
  response: Response,
  method: string,
  url: string,
  scrub: (text: string) => string = (text) => text,
): Promise<{ message: string; code?: string }> {
  let detail = '';
  let code: string | undefined;
  if (method !== 'HEAD') {
    const read = await readCapped(response).catch(() => ({ text: '' }));
    const text = scrub(read.text).slice(0, 2000);
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = parsed.errors?.[0];
      if (first !== undefined) {
        code = first.code;
        detail = parsed.errors!.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
      }
    } catch {
      detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    }
  }
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const message = `${method} ${redactUrl(url)} answered ${status}${detail ? ` (${scrub(detail)})` : ''}`;
  return code === undefined ? { message } : { message, code };
}

/** Upload locations carry opaque state; keep logs short and free of query strings. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
