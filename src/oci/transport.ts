import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Runtime } from '../runtime.js';
import { apiHost, isLoopbackHost } from './reference.js';

/** Username and password for a registry: AWS + token for ECR, a Docker Hub login, … */
export interface RegistryCredentials {
  username: string;
  password: string;
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

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 400, maxDelayMs: 20_000 };

export interface TransportOptions {
  runtime: Runtime;
  credentials?: RegistryCredentials | undefined;
  retry?: RetryPolicy;
  /** No byte for this long, in either direction, aborts the request as stalled. */
  stallTimeoutMs?: number;
  writePacer?: Pacer | undefined;
  userAgent?: string;
  /** Sees every response, e.g. to read rate-limit headers. */
  onResponse?: ((response: Response, request: { method: string; url: string }) => void) | undefined;
  /**
   * Asked on a 429: how long to wait before sending the request again without counting it as a
   * retry (a pull quota being waited out), or `undefined` for the usual retry with backoff.
   */
  throttleWaitMs?: ((response: Response, request: { method: string; url: string }) => number | undefined) | undefined;
  fetch?: typeof fetch;
}

export type RequestBody = Uint8Array | string | Readable;

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v2/...` on this registry, or an absolute URL (an upload `Location`). */
  path: string;
  /** Token scopes, e.g. `repository:a/b:pull,push`. */
  scopes: string[];
  headers?: Record<string, string>;
  /** Called once per attempt, so a retry sends the body again from its start. */
  body?: () => RequestBody;
  /** Statuses that are an answer rather than an error (others throw `RegistryError`). */
  accept: number[];
  /** Counts against the write pacer. */
  paced?: boolean;
  /** Transient failures are retried here unless the caller retries a larger unit itself. */
  retry?: boolean;
}

/** A response whose body, if read, is watched for stalls. */
export interface RegistryResponse {
  status: number;
  headers: Headers;
  url: string;
  /** The body as a Node stream; must be consumed or destroyed. */
  stream(): Readable;
  bytes(limit?: number): Promise<Buffer>;
  discard(): Promise<void>;
}

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

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

interface Challenge {
  scheme: 'basic' | 'bearer' | 'none';
  params: Record<string, string>;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** `Bearer realm="…",service="…"` → scheme and parameters. */
export function parseChallenge(header: string | null): Challenge {
  if (header === null || header.trim() === '') return { scheme: 'none', params: {} };
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const scheme = (match?.[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  for (const m of (match?.[2] ?? '').matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[(m[1] ?? '').toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  if (scheme === 'basic' || scheme === 'bearer') return { scheme, params };
  return { scheme: 'none', params };
}

/** Seconds or an HTTP date → milliseconds to wait. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The registry's JSON error list, in one line. */
async function describeError(response: Response, method: string, url: string): Promise<{ message: string; code?: string }> {
  let detail = '';
  let code: string | undefined;
  if (method !== 'HEAD') {
    const text = (await response.text().catch(() => '')).slice(0, 2000);
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
  const where = `${method} ${redactUrl(url)}`;
  const message = `${where} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${detail ? ` (${detail})` : ''}`;
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

class StallWatchdog extends Transform {
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

/**
 * HTTP to one registry: scheme choice, auth challenges and token cache, manual redirects that
 * never carry credentials to another host, write pacing, stall detection and retries.
 */
export class Transport {
  readonly baseUrl: string;
  private challenge: Promise<Challenge> | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly retry: RetryPolicy;
  private readonly stallTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly registry: string,
    private readonly options: TransportOptions,
  ) {
    const host = apiHost(registry);
    this.baseUrl = `${isLoopbackHost(host) ? 'http' : 'https'}://${host}`;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get runtime(): Runtime {
    return this.options.runtime;
  }

  get retryPolicy(): RetryPolicy {
    return this.retry;
  }

  /** Runs `attempt` until it succeeds, fails for good, or the attempts run out. */
  async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const { clock, sleep, random, logger } = this.options.runtime;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        const transient = isTransient(error);
        if (!transient || n >= this.retry.maxAttempts) throw error;
        const hinted = error instanceof RetryAfterError ? error.retryAfterMs : undefined;
        const delay = hinted !== undefined ? Math.min(hinted, 120_000) : backoffMs(n, this.retry, random);
        logger.debug(`${what}: ${(error as Error).message}; retry ${n}/${this.retry.maxAttempts - 1} in ${delay} ms`);
        void clock;
        await sleep(delay);
      }
    }
  }

  async send(request: RegistryRequest): Promise<RegistryResponse> {
    const once = () => this.sendOnce(request);
    return request.retry === false ? once() : this.withRetries(`${request.method} ${redactUrl(this.resolve(request.path))}`, once);
  }

  resolve(path: string): string {
    return new URL(path, this.baseUrl).toString();
  }

  private async sendOnce(request: RegistryRequest): Promise<RegistryResponse> {
    let response: Response;
    for (;;) {
      if (request.paced === true) await this.options.writePacer?.take();
      let authorization = await this.authorization(request.scopes, false);
      response = await this.exchange(request, authorization);
      if (response.status === 401) {
        // Tokens expire mid-run (Docker Hub's live ~300 s): learn the challenge again and retry once.
        await response.body?.cancel().catch(() => undefined);
        const challenge = parseChallenge(response.headers.get('www-authenticate'));
        if (challenge.scheme !== 'none') this.challenge = Promise.resolve(challenge);
        authorization = await this.authorization(request.scopes, true);
        response = await this.exchange(request, authorization);
      }
      const seen = { method: request.method, url: response.url || this.resolve(request.path) };
      this.options.onResponse?.(response, seen);
      if (response.status !== 429 || request.accept.includes(429)) break;
      const wait = this.options.throttleWaitMs?.(response, seen);
      if (wait === undefined || !(wait > 0)) break;
      await response.body?.cancel().catch(() => undefined);
      await this.options.runtime.sleep(wait);
    }
    if (request.accept.includes(response.status)) return this.wrap(response);

    const { message, code } = await describeError(response, request.method, response.url || this.resolve(request.path));
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(`${message}: check the credentials for ${this.registry}`, response.status, code, false);
    }
    if (isTransientStatus(response.status)) {
      const wait = retryAfterMs(response.headers.get('retry-after'), this.options.runtime.clock.now());
      if (wait !== undefined) throw new RetryAfterError(message, response.status, code, wait);
      throw new RegistryError(message, response.status, code, true);
    }
    throw new RegistryError(message, response.status, code, false);
  }

  /** One request, following redirects by hand so credentials stay with their origin. */
  private async exchange(request: RegistryRequest, authorization: string | undefined): Promise<Response> {
    let url = this.resolve(request.path);
    const origin = new URL(url).origin;
    for (let hop = 0; hop <= 5; hop++) {
      const sameOrigin = new URL(url).origin === origin;
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'ecr-publish', ...request.headers };
      if (authorization !== undefined && sameOrigin) headers.authorization = authorization;
      const controller = new AbortController();
      const watchdog = setTimeout(() => controller.abort(new StallError(`no response within ${this.stallTimeoutMs} ms`)), this.stallTimeoutMs);
      const content: RequestBody | undefined = hop === 0 ? request.body?.() : undefined;
      const body = content instanceof Readable ? watchBody(content, this.stallTimeoutMs, controller) : content;
      let response: Response;
      try {
        response =
          body instanceof Readable && this.options.fetch === undefined
            ? await streamRequest(url, request.method, headers, body, controller.signal)
            : await this.fetchImpl(url, {
          method: hop === 0 ? request.method : request.method === 'HEAD' ? 'HEAD' : 'GET',
          headers,
          redirect: 'manual',
          signal: controller.signal,
          ...(body !== undefined ? { body: body as NonNullable<RequestInit['body']>, duplex: 'half' } : {}),
        } as RequestInit);
      } catch (error) {
        // Release the content too, so whoever feeds it (a spool tee) is not left waiting.
        if (content instanceof Readable) content.destroy();
        if (body instanceof Readable) body.destroy();
        throw asTransportError(error, request.method, url);
      } finally {
        clearTimeout(watchdog);
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location') !== null && request.method !== 'PUT' && request.method !== 'POST' && request.method !== 'PATCH') {
        await response.body?.cancel().catch(() => undefined);
        const next = new URL(response.headers.get('location')!, url);
        if (next.protocol === 'http:' && !isLoopbackHost(next.host)) {
          throw new RegistryError(`${request.method} ${redactUrl(url)} redirected to plain http on ${next.host}; refused`, response.status, undefined, false);
        }
        url = next.toString();
        (response as { controller?: AbortController }).controller = controller;
        continue;
      }
      (response as { controller?: AbortController }).controller = controller;
      return response;
    }
    throw new RegistryError(`${request.method} ${redactUrl(url)}: too many redirects`, undefined, undefined, false);
  }

  private wrap(response: Response): RegistryResponse {
    const controller = (response as { controller?: AbortController }).controller ?? new AbortController();
    const stallTimeoutMs = this.stallTimeoutMs;
    let taken = false;
    const stream = (): Readable => {
      if (taken) throw new Error('response body already read');
      taken = true;
      if (response.body === null) return Readable.from([]);
      const source = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
      const watchdog = new StallWatchdog(stallTimeoutMs, () => {
        const stall = new StallError(`no data for ${stallTimeoutMs} ms from ${redactUrl(response.url)}`);
        controller.abort(stall);
        watchdog.destroy(stall);
      });
      source.on('error', (error) => watchdog.destroy(asTransportError(error, 'GET', response.url)));
      return source.pipe(watchdog);
    };
    return {
      status: response.status,
      headers: response.headers,
      url: response.url,
      stream,
      async bytes(limit?: number): Promise<Buffer> {
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const chunk of stream()) {
          total += (chunk as Buffer).length;
          if (limit !== undefined && total > limit) {
            controller.abort();
            throw new RegistryError(`${redactUrl(response.url)}: response larger than ${limit} bytes`, response.status, undefined, false);
          }
          chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks);
      },
      async discard(): Promise<void> {
        if (!taken) await response.body?.cancel().catch(() => undefined);
      },
    };
  }

  private async authorization(scopes: string[], refresh: boolean): Promise<string | undefined> {
    this.challenge ??= this.ping();
    let challenge: Challenge;
    try {
      challenge = await this.challenge;
    } catch (error) {
      this.challenge = undefined;
      throw error;
    }
    const credentials = this.options.credentials;
    if (challenge.scheme === 'none') return undefined;
    if (challenge.scheme === 'basic') {
      if (credentials === undefined) {
        throw new RegistryError(`${this.registry} requires a username and password (Basic auth) and none were given`, 401, undefined, false);
      }
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (!refresh && cached !== undefined && cached.expiresAt > this.options.runtime.clock.now()) return cached.header;
    const token = await this.fetchToken(challenge, scopes);
    this.tokens.set(key, token);
    return token.header;
  }

  private async ping(): Promise<Challenge> {
    return this.withRetries(`GET ${this.baseUrl}/v2/`, async () => {
      const response = await this.exchange({ method: 'GET', path: '/v2/', scopes: [], accept: [] }, undefined);
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 200) return { scheme: 'none', params: {} } as Challenge;
      if (response.status === 401) return parseChallenge(response.headers.get('www-authenticate'));
      const { message } = await describeError(response, 'GET', `${this.baseUrl}/v2/`);
      throw new RegistryError(`${this.registry} is not a container registry: ${message}`, response.status, undefined, isTransientStatus(response.status));
    });
  }

  private async fetchToken(challenge: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (realm === undefined) throw new RegistryError(`${this.registry}: Bearer challenge without a realm`, 401, undefined, false);
    const url = new URL(realm);
    if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
      throw new RegistryError(`${this.registry}: token realm ${url.origin} is plain http; refused`, 401, undefined, false);
    }
    if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const credentials = this.options.credentials;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'ecr-publish' };
    if (credentials !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    return this.withRetries(`token from ${url.origin}${url.pathname}`, async () => {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { headers, redirect: 'error', signal: AbortSignal.timeout(this.stallTimeoutMs) });
      } catch (error) {
        throw asTransportError(error, 'GET', url.toString());
      }
      if (!response.ok) {
        const { message } = await describeError(response, 'GET', url.toString());
        throw new RegistryError(`token request failed: ${message}`, response.status, undefined, isTransientStatus(response.status));
      }
      const body = (await response.json()) as { token?: string; access_token?: string; expires_in?: number };
      const token = body.token ?? body.access_token;
      if (token === undefined || token === '') throw new RegistryError(`token endpoint ${url.origin} returned no token`, response.status, undefined, false);
      const lifetimeMs = Math.max(30, body.expires_in ?? 60) * 1000;
      return { header: `Bearer ${token}`, expiresAt: this.options.runtime.clock.now() + lifetimeMs - 10_000 };
    });
  }
}

export class StallError extends Error {
  override name = 'StallError';
}

class RetryAfterError extends RegistryError {
  constructor(
    message: string,
    status: number,
    code: string | undefined,
    readonly retryAfterMs: number,
  ) {
    super(message, status, code, true);
  }
}

/** Connection resets, DNS hiccups, stalls and aborted bodies are worth another try. */
function asTransportError(error: unknown, method: string, url: string): Error {
  if (error instanceof RegistryError) return error;
  const cause = (error as { cause?: unknown }).cause;
  const stalled = error instanceof StallError || cause instanceof StallError || (error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError';
  const detail = cause instanceof Error ? `${(cause as { code?: string }).code ?? cause.name}: ${cause.message}` : (error as Error)?.message ?? String(error);
  return new RegistryError(`${method} ${redactUrl(url)} failed: ${stalled ? 'stalled' : detail}`, undefined, undefined, true);
}

export function isTransient(error: unknown): boolean {
  if (error instanceof RegistryError) return error.transient;
  if (error instanceof StallError) return true;
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'UND_ERR_SOCKET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** Aborts the request when the server stops reading the body we send. */
function watchBody(body: Readable, timeoutMs: number, controller: AbortController): Readable {
  const watchdog = new StallWatchdog(timeoutMs, () => controller.abort(new StallError(`upload stalled for ${timeoutMs} ms`)));
  body.on('error', (error) => watchdog.destroy(error));
  return body.pipe(watchdog);
}


/**
 * A streamed upload over node:http, which writes only as fast as the socket drains: fetch on
 * Node 20 reads a streamed body ahead without bound, so memory would grow with the blob.
 */
function streamRequest(url: string, method: string, headers: Record<string, string>, body: Readable, signal: AbortSignal): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method, headers, signal }, (incoming: IncomingMessage) => {
      const status = incoming.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const withoutBody = status === 204 || status === 205 || status === 304;
      const response = new Response(withoutBody ? null : (Readable.toWeb(incoming) as unknown as WebReadableStream<Uint8Array> as unknown as BodyInitStream), {
        status,
        statusText: incoming.statusMessage ?? '',
        headers: responseHeaders,
      });
      Object.defineProperty(response, 'url', { value: url });
      if (withoutBody) incoming.resume();
      resolve(response);
    });
    request.on('error', reject);
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}

type BodyInitStream = NonNullable<ConstructorParameters<typeof Response>[0]>;
