/** Counting, fault-injecting HTTP proxy in front of a loopback registry (latency and bandwidth too). */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** What a proxy may do to one exchange, for fault tests. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'truncate'; afterBytes: number }
  | { kind: 'flip'; atByte: number }
  /** Faults on the request body the client sends (uploads), before it reaches the upstream. */
  | { kind: 'request-reset'; afterBytes: number }
  | { kind: 'request-flip'; atByte: number };

export interface Exchange {
  method: string;
  path: string;
  status: number;
  requestBytes: number;
  responseBytes: number;
  at: number;
  /** When the response finished (0 while it runs), for timelines. */
  end: number;
}

export interface ProxyOptions {
  /** `http://127.0.0.1:PORT` of the upstream. */
  target: string;
  bindHost?: string;
  /** Added before each request is forwarded. */
  latencyMs?: number;
  /** Cap per connection, both directions. */
  bytesPerSecond?: number;
  fault?: (method: string, path: string) => Fault | undefined;
  /** Rewrites upstream response headers, e.g. Location. */
  rewriteHeaders?: (headers: Record<string, string | string[] | undefined>) => void;
  /** Handles a request itself instead of forwarding it (token endpoints, redirects). */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The path sent upstream (the exchange keeps the client's), e.g. a mount the registry must not see. */
  rewritePath?: (method: string, path: string) => string;
  /** Small request bodies to keep for `onComplete` (manifests); others are not buffered. */
  keepBody?: (method: string, path: string) => boolean;
  /** Each forwarded exchange once its response has gone out, with the kept request body. */
  onComplete?: (exchange: Exchange, requestBody: Buffer | undefined) => void;
}

/** Every request the proxy received, including ones `intercept` answered itself (tokens, redirects). */
export interface ReceivedRequest {
  method: string;
  path: string;
  at: number;
  intercepted: boolean;
}

export interface Proxy {
  url: string;
  host: string;
  exchanges: Exchange[];
  /** Cleared by `reset()` like `exchanges`. */
  received: ReceivedRequest[];
  reset(): void;
  /** Request body bytes of blob uploads (PATCH/PUT/POST to blobs/uploads). */
  uploadedBytes(): number;
  /** Response bytes of blob GETs. */
  downloadedBlobBytes(): number;
  countBy(method?: string, pathPattern?: RegExp): number;
  close(): Promise<void>;
}

class Throttle extends Transform {
  private readonly started = Date.now();
  private sent = 0;
  constructor(private readonly bytesPerSecond: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    const pieces: Buffer[] = [];
    for (let i = 0; i < chunk.length; i += 64 * 1024) pieces.push(chunk.subarray(i, i + 64 * 1024));
    const pushNext = (): void => {
      const piece = pieces.shift();
      if (piece === undefined) return callback();
      this.sent += piece.length;
      const due = this.started + (this.sent / this.bytesPerSecond) * 1000;
      const wait = due - Date.now();
      this.push(piece);
      if (wait > 1) setTimeout(pushNext, wait);
      else pushNext();
    };
    pushNext();
  }
}

/** Counts and optionally alters bytes flowing one way. */
class Tap extends Transform {
  count = 0;
  constructor(
    private readonly fault: Fault | undefined,
    private readonly onFault: (kind: 'reset' | 'stall' | 'truncate') => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    const start = this.count;
    this.count += chunk.length;
    const f = this.fault;
    if (f?.kind === 'flip' && f.atByte >= start && f.atByte < this.count) {
      chunk = Buffer.from(chunk);
      const i = f.atByte - start;
      chunk[i] = (chunk[i] ?? 0) ^ 0xff;
    }
    if ((f?.kind === 'reset' || f?.kind === 'stall' || f?.kind === 'truncate') && this.count > f.afterBytes) {
      const keep = Math.max(0, f.afterBytes - start);
      if (keep > 0) this.push(chunk.subarray(0, keep));
      this.onFault(f.kind);
      return; // never call back: the exchange ends here
    }
    callback(null, chunk);
  }
}

/** Alters the request body on its way upstream: a reset cuts the client off after `afterBytes`. */
class RequestTap extends Transform {
  private count = 0;
  constructor(
    private readonly fault: Extract<Fault, { kind: 'request-reset' | 'request-flip' }>,
    private readonly onReset: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    const start = this.count;
    this.count += chunk.length;
    const f = this.fault;
    if (f.kind === 'request-flip' && f.atByte >= start && f.atByte < this.count) {
      chunk = Buffer.from(chunk);
      const i = f.atByte - start;
      chunk[i] = (chunk[i] ?? 0) ^ 0xff;
    }
    if (f.kind === 'request-reset' && this.count > f.afterBytes) {
      this.onReset();
      return; // never call back: the exchange ends here
    }
    callback(null, chunk);
  }
}

export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const exchanges: Exchange[] = [];
  const target = new URL(options.target);
  const received: ReceivedRequest[] = [];
  let proxyOrigin = '';
  const server: Server = createServer((req, res) => {
    const seen: ReceivedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      at: Date.now(),
      intercepted: false,
    };
    received.push(seen);
    if (options.intercept?.(req, res) === true) {
      seen.intercepted = true;
      return;
    }
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const record: Exchange = { method, path, status: 0, requestBytes: 0, responseBytes: 0, at: Date.now(), end: 0 };
    exchanges.push(record);
    const kept: Buffer[] | undefined = options.keepBody?.(method, path) === true ? [] : undefined;
    res.on('finish', () => {
      record.end = Date.now();
      options.onComplete?.(record, kept === undefined ? undefined : Buffer.concat(kept));
    });
    const forward = (): void => {
      const fault = options.fault?.(method, path);
      if (fault?.kind === 'status') {
        req.resume();
        record.status = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
        return;
      }
      const upstreamPath = options.rewritePath?.(method, path) ?? path;
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method,
          path: upstreamPath,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          const headers = { ...up.headers };
          // The registry names itself in upload Locations; keep the client talking through the proxy.
          if (typeof headers.location === 'string' && headers.location.startsWith(target.origin)) {
            headers.location = `${proxyOrigin}${headers.location.slice(target.origin.length)}`;
          }
          options.rewriteHeaders?.(headers);
          record.status = up.statusCode ?? 0;
          const tap = new Tap(fault, (kind) => {
            if (kind === 'reset') res.socket?.destroy();
            else if (kind === 'truncate') res.socket?.end();
            // stall: leave the socket open and silent
          });
          tap.on('data', (c: Buffer) => (record.responseBytes += c.length));
          res.writeHead(up.statusCode ?? 502, headers);
          let stream: NodeJS.ReadableStream = up.pipe(tap);
          if (options.bytesPerSecond !== undefined) stream = stream.pipe(new Throttle(options.bytesPerSecond));
          stream.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      let body: NodeJS.ReadableStream = req;
      req.on('data', (c: Buffer) => {
        record.requestBytes += c.length;
        kept?.push(c);
      });
      if (fault?.kind === 'request-reset' || fault?.kind === 'request-flip') {
        body = req.pipe(
          new RequestTap(fault, () => {
            upstream.destroy();
            req.socket.destroy();
          }),
        );
      }
      if (options.bytesPerSecond !== undefined) body = body.pipe(new Throttle(options.bytesPerSecond));
      body.pipe(upstream);
    };
    if (options.latencyMs !== undefined && options.latencyMs > 0) setTimeout(forward, options.latencyMs);
    else forward();
  });
  server.keepAliveTimeout = 30_000;
  const bindHost = options.bindHost ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, bindHost, resolve));
  const port = (server.address() as AddressInfo).port;
  proxyOrigin = `http://${bindHost}:${port}`;
  const isBlobUpload = (e: Exchange) =>
    /\/blobs\/uploads\//.test(e.path) && (e.method === 'PATCH' || e.method === 'PUT' || e.method === 'POST');
  return {
    url: `http://${bindHost}:${port}`,
    host: `${bindHost}:${port}`,
    exchanges,
    received,
    reset: () => {
      exchanges.splice(0);
      received.splice(0);
    },
    uploadedBytes: () => exchanges.filter(isBlobUpload).reduce((s, e) => s + e.requestBytes, 0),
    downloadedBlobBytes: () =>
      exchanges
        .filter((e) => e.method === 'GET' && /\/blobs\/sha256:/.test(e.path))
        .reduce((s, e) => s + e.responseBytes, 0),
    countBy: (method, pattern) =>
      exchanges.filter(
        (e) => (method === undefined || e.method === method) && (pattern === undefined || pattern.test(e.path)),
      ).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
