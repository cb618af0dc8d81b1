/** HTTP to one registry: composes scheme choice, auth, redirects, write pacing, stall detection and retries. */
import { Readable } from 'node:stream';
import { DEFAULT_RETRY, retryAfterMs, retrying, type Pacer, type RetryPolicy } from '../../retry.js';
import type { Runtime } from '../../runtime.js';
import { apiHost, isLoopbackHost } from '../reference.js';
import { Authenticator } from './auth.js';
import { ping } from './challenge.js';
import type { RegistryCredentials } from './credentials.js';
import { Deadline, DEFAULT_DEADLINE_MS, DEFAULT_TRANSFER_DEADLINE_MS } from './deadline.js';
import {
  asTransportError,
  describeError,
  isTransient,
  isTransientStatus,
  redactUrl,
  RegistryError,
  RetryAfterError,
  StallError,
} from './errors.js';
import { followRedirects, type Followed, type Hop } from './redirect.js';
import { attachController, release, wrapResponse, type RegistryResponse } from './response.js';
import { Secrets } from './secrets.js';
import { watchBody } from './stall.js';
import { streamRequest } from './stream-request.js';
import { mayCarryAuthorization } from './url-policy.js';

/** The longest `Retry-After` we honour as asked; beyond it we still wait this long. */
const MAX_HINTED_WAIT_MS = 120_000;

export interface TransportOptions {
  runtime: Runtime;
  credentials?: RegistryCredentials | undefined;
  retry?: RetryPolicy;
  /** No byte for this long, in either direction, aborts the request as stalled. */
  stallTimeoutMs?: number;
  /** The whole request, first byte sent to last byte read, of requests that move blob bytes (default 30 min). */
  transferDeadlineMs?: number;
  /** The same for every other request, tokens included (default 2 min): a dripping body is cut off. */
  deadlineMs?: number;
  /** Told every secret the transport makes (base64 `user:password`, bearer tokens) before it is used, to mask it. */
  onSecret?: ((value: string) => void) | undefined;
  writePacer?: Pacer | undefined;
  userAgent?: string;
  /** Sees every response, e.g. to read rate-limit headers. */
  onResponse?: ((response: Response, request: { method: string; url: string }) => void) | undefined;
  /**
   * Asked on a 429: how long to wait before sending the request again without counting it as a
   * retry (a pull quota being waited out), or `undefined` for the usual retry with backoff.
   */
  throttleWaitMs?: ((response: Response, request: { method: string; url: string }) => number | undefined) | undefined;
  /** The next step for an error answer of this status, added to its message (e.g. a spent pull quota's). */
  failureAdvice?: ((status: number) => string | undefined) | undefined;
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
  /** Moves blob bytes (a blob GET, an upload): gets the long transfer deadline. */
  transfer?: boolean;
}

/** One exchange's answer: the last hop's response, where it came from, and the deadline still running. */
interface Answer extends Followed {
  deadline: Deadline;
  authorization: string | undefined;
}

/**
 * HTTP to one registry: scheme choice, auth challenges and token cache, manual redirects that
 * never carry credentials to another origin, write pacing, stall timer and deadline, retries.
 */
export class Transport {
  readonly baseUrl: string;
  private readonly auth: Authenticator;
  private readonly retry: RetryPolicy;
  private readonly stallTimeoutMs: number;
  private readonly userAgent: string;
  private readonly fetchImpl: typeof fetch;
  private readonly secrets: Secrets;

  constructor(
    readonly registry: string,
    private readonly options: TransportOptions,
  ) {
    const host = apiHost(registry);
    this.baseUrl = `${isLoopbackHost(host) ? 'http' : 'https'}://${host}`;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'ecr-publish';
    this.fetchImpl = options.fetch ?? fetch;
    this.secrets = new Secrets(options.onSecret);
    this.secrets.remember(options.credentials?.password);
    const withRetries = <T>(what: string, attempt: () => Promise<T>): Promise<T> => this.withRetries(what, attempt);
    const scrub = (text: string) => this.secrets.scrub(text);
    this.auth = new Authenticator({
      registry,
      baseUrl: this.baseUrl,
      credentials: options.credentials,
      secrets: this.secrets,
      userAgent: this.userAgent,
      timeoutMs: Math.min(this.stallTimeoutMs, options.deadlineMs ?? DEFAULT_DEADLINE_MS),
      fetch: this.fetchImpl,
      now: () => options.runtime.clock.now(),
      withRetries,
      ping: () =>
        ping({ registry, baseUrl: this.baseUrl, withRetries, scrub, get: (path) => this.unauthenticatedGet(path) }),
    });
  }

  get runtime(): Runtime {
    return this.options.runtime;
  }

  get retryPolicy(): RetryPolicy {
    return this.retry;
  }

  /** Runs `attempt` until it succeeds, fails for good, or the attempts run out. */
  withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const { logger } = this.options.runtime;
    return retrying(attempt, {
      policy: this.retry,
      runtime: this.options.runtime,
      onFailure: (error, n, backoff) => {
        if (!isTransient(error)) throw error;
        const hinted = error instanceof RetryAfterError ? error.retryAfterMs : undefined;
        const delay = hinted !== undefined ? Math.min(hinted, MAX_HINTED_WAIT_MS) : backoff();
        logger.debug(`${what}: ${(error as Error).message}; retry ${n}/${this.retry.maxAttempts - 1} in ${delay} ms`);
        return delay;
      },
    });
  }

  /**
   * Gets one token for many scopes ahead of the requests that need them (a Docker Hub token per
   * repository is a request each), so later requests for any of them use it. Nothing for Basic auth.
   */
  async authorize(scopes: string[]): Promise<void> {
    await this.auth.authorization(scopes, false);
  }

  async send(request: RegistryRequest): Promise<RegistryResponse> {
    const once = () => this.sendOnce(request);
    if (request.retry === false) return once();
    return this.withRetries(`${request.method} ${redactUrl(this.resolve(request.path))}`, once);
  }

  resolve(path: string): string {
    return new URL(path, this.baseUrl).toString();
  }

  private async sendOnce(request: RegistryRequest): Promise<RegistryResponse> {
    let answer: Answer;
    for (;;) {
      if (request.paced === true) await this.options.writePacer?.take();
      answer = await this.exchange(request, await this.auth.authorization(request.scopes, false));
      // Tokens expire mid-run (Docker Hub's live ~300 s): learn the challenge again and retry once,
      // but only the registry's own challenge; a CDN's 401 is never answered with our credentials.
      if (answer.response.status === 401 && mayCarryAuthorization(answer.url, this.baseUrl)) {
        await release(answer.response, answer.deadline);
        this.auth.learn(answer.response.headers.get('www-authenticate'));
        answer = await this.exchange(request, await this.auth.authorization(request.scopes, true));
      }
      const { response } = answer;
      const seen = { method: request.method, url: response.url || this.resolve(request.path) };
      this.options.onResponse?.(response, seen);
      if (response.status !== 429 || request.accept.includes(429)) break;
      const wait = this.options.throttleWaitMs?.(response, seen);
      if (wait === undefined || !(wait > 0)) break;
      await release(response, answer.deadline);
      await this.options.runtime.sleep(wait);
    }
    if (request.accept.includes(answer.response.status)) {
      return wrapResponse(answer.response, this.stallTimeoutMs, answer.deadline);
    }
    try {
      throw await this.failure(request, answer);
    } finally {
      await release(answer.response, answer.deadline);
    }
  }

  /** The error for an answer the caller did not accept: auth failures are final, 408/429/5xx transient. */
  private async failure(request: RegistryRequest, answer: Answer): Promise<RegistryError> {
    const { response } = answer;
    const url = response.url || this.resolve(request.path);
    const scrub = (text: string) => this.secrets.scrub(text, [answer.authorization]);
    const described = await describeError(response, request.method, url, scrub);
    const { code } = described;
    const advice = this.options.failureAdvice?.(response.status);
    const message = advice === undefined ? described.message : `${described.message}: ${advice}`;
    if (response.status === 401 && !mayCarryAuthorization(answer.url, this.baseUrl)) {
      const by = new URL(answer.url).origin;
      const why = `${message}: ${by} is not ${this.registry}; its challenge is not answered`;
      return new RegistryError(why, 401, code, false);
    }
    if (response.status === 401 || response.status === 403) {
      return new RegistryError(`${message}: check the credentials for ${this.registry}`, response.status, code, false);
    }
    if (isTransientStatus(response.status)) {
      const wait = retryAfterMs(response.headers.get('retry-after'), this.options.runtime.clock.now());
      if (wait !== undefined) return new RetryAfterError(message, response.status, code, wait);
      return new RegistryError(message, response.status, code, true);
    }
    return new RegistryError(message, response.status, code, false);
  }

  private async unauthenticatedGet(path: string): Promise<Followed> {
    const answer = await this.exchange({ method: 'GET', path, scopes: [], accept: [] }, undefined);
    answer.deadline.clear();
    return answer;
  }

  /** One request, following redirects by hand so credentials stay with their origin, under one deadline. */
  private async exchange(request: RegistryRequest, authorization: string | undefined): Promise<Answer> {
    const url = this.resolve(request.path);
    const ms =
      request.transfer === true
        ? (this.options.transferDeadlineMs ?? DEFAULT_TRANSFER_DEADLINE_MS)
        : (this.options.deadlineMs ?? DEFAULT_DEADLINE_MS);
    const deadline = new Deadline(ms, `${request.method} ${redactUrl(url)}`);
    try {
      const send = (hop: Hop) => this.hop(request, hop, deadline);
      const followed = await followRedirects(request.method, url, this.baseUrl, authorization, send);
      return { ...followed, deadline, authorization };
    } catch (error) {
      deadline.clear();
      throw error;
    }
  }

  /**
   * One HTTP exchange. A streamed upload is watched for progress while it is sent; after the
   * last byte (or at once, for small bodies) the answer must come within the stall timeout.
   */
  private async hop(request: RegistryRequest, hop: Hop, deadline: Deadline): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    if (hop.authorization !== undefined) headers.authorization = hop.authorization;
    const controller = new AbortController();
    deadline.watch((late) => controller.abort(late));
    const timeoutMs = this.stallTimeoutMs;
    let settled = false;
    let waiting: NodeJS.Timeout | undefined;
    const awaitAnswer = () => {
      if (settled) return;
      waiting = setTimeout(() => controller.abort(new StallError(`no response within ${timeoutMs} ms`)), timeoutMs);
    };
    const content: RequestBody | undefined = hop.index === 0 ? request.body?.() : undefined;
    const body = content instanceof Readable ? watchBody(content, timeoutMs, controller) : content;
    if (body instanceof Readable) body.once('end', awaitAnswer);
    else awaitAnswer();
    try {
      const response =
        body instanceof Readable && this.options.fetch === undefined
          ? await streamRequest(hop.url, request.method, headers, body, controller.signal)
          : await this.fetchImpl(hop.url, {
              method: hop.index === 0 ? request.method : request.method === 'HEAD' ? 'HEAD' : 'GET',
              headers,
              redirect: 'manual',
              signal: controller.signal,
              ...(body !== undefined ? { body: body as NonNullable<RequestInit['body']>, duplex: 'half' } : {}),
            } as RequestInit);
      return attachController(response, controller);
    } catch (error) {
      // Release the content too, so whoever feeds it (a spool tee) is not left waiting.
      if (content instanceof Readable) content.destroy();
      if (body instanceof Readable) body.destroy();
      throw asTransportError(error, request.method, hop.url);
    } finally {
      settled = true;
      clearTimeout(waiting);
    }
  }
}
