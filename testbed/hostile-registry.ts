/** A programmable loopback-only OCI registry for tests: crafted manifests, echoed headers, redirects, looping pagination, dripping and huge bodies, 401 from a CDN. */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
}

interface Common {
  status?: number;
  headers?: Record<string, string>;
}

/** What a route answers. HEAD gets the same status and headers without a body. */
export type Reply =
  | (Common & { kind: 'bytes'; body: Uint8Array | string; contentType?: string; digest?: string })
  /** `size` bytes of `fill`, streamed in chunks and never held in memory; `chunked` leaves out Content-Length. */
  | (Common & { kind: 'huge'; size: number; fill?: number; chunked?: boolean })
  /** The request's method, URL and headers as a JSON body. */
  | (Common & { kind: 'echo' })
  | (Common & { kind: 'redirect'; location: string })
  /** A body with a `Link: <this very URL>; rel="next"` header, so pagination never ends. */
  | (Common & { kind: 'loop-link'; body: Uint8Array | string; contentType?: string })
  /** The body one byte every `intervalMs`, with its full Content-Length announced up front. */
  | (Common & { kind: 'drip'; body: Uint8Array | string; intervalMs: number })
  /** A 401 with `WWW-Authenticate: Bearer realm=…` (e.g. from a second instance playing a CDN). */
  | (Common & { kind: 'challenge'; realm: string; service?: string; scope?: string })
  /** Anything else, written by the test itself. */
  | { kind: 'custom'; handle: (req: IncomingMessage, res: ServerResponse) => void };

export type Responder = Reply | ((request: RecordedRequest) => Reply);

interface Route {
  method: string;
  path: string | RegExp;
  respond: Responder;
}

export interface HostileRegistry {
  /** `127.0.0.1:<port>`, for a registry client. */
  host: string;
  url: string;
  requests: RecordedRequest[];
  /** Adds a route; later routes win over earlier ones. `method` '*' matches any; a string path matches exactly (query ignored). */
  route(method: string, path: string | RegExp, respond: Responder): void;
  /** Serves GET and HEAD of a manifest by `reference` and by digest: the bytes' sha256 unless one is given. */
  manifest(
    repository: string,
    reference: string,
    body: Uint8Array | string,
    mediaType: string,
    digest?: string,
  ): string;
  /** Serves GET and HEAD of a blob at its sha256 digest (or a chosen one); returns the digest. */
  blob(repository: string, body: Uint8Array | string, digest?: string): string;
  /** Requests whose method matches and whose path (query ignored) matches. */
  count(method: string, path: string | RegExp): number;
  reset(): void;
  close(): Promise<void>;
}

export const sha256Of = (data: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * Starts an empty registry on 127.0.0.1 with an ephemeral port. `GET /v2/` answers 200 and
 * anything unrouted 404 with an OCI error body, until a test routes them otherwise.
 */
export async function startHostileRegistry(): Promise<HostileRegistry> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const pathOf = (url: string): string => url.split('?')[0] ?? url;
  const matches = (route: Route, method: string, path: string): boolean =>
    (route.method === '*' || route.method === method || (route.method === 'GET' && method === 'HEAD')) &&
    (typeof route.path === 'string' ? route.path === path : route.path.test(path));

  const server = createServer((req, res) => {
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(recorded);
    const route = [...routes].reverse().find((r) => matches(r, recorded.method, pathOf(recorded.url)));
    const respond: Responder = route?.respond ?? notFound;
    const reply = typeof respond === 'function' ? respond(recorded) : respond;
    if (reply.kind === 'custom') return reply.handle(req, res);
    // The request body is drained unread; a test that needs it uses a custom reply.
    req.resume();
    send(reply, recorded, res, timers);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const registry: HostileRegistry = {
    host,
    url: `http://${host}`,
    requests,
    route: (method, path, respond) => void routes.push({ method, path, respond }),
    manifest(repository, reference, body, mediaType, digest = sha256Of(body)) {
      const reply: Reply = { kind: 'bytes', body, contentType: mediaType, digest };
      for (const ref of new Set([reference, digest]))
        registry.route('GET', `/v2/${repository}/manifests/${ref}`, reply);
      return digest;
    },
    blob(repository, body, digest = sha256Of(body)) {
      registry.route('GET', `/v2/${repository}/blobs/${digest}`, {
        kind: 'bytes',
        body,
        contentType: 'application/octet-stream',
        digest,
      });
      return digest;
    },
    count: (method, path) =>
      requests.filter(
        (r) =>
          (method === '*' || r.method === method) &&
          (typeof path === 'string' ? pathOf(r.url) === path : path.test(pathOf(r.url))),
      ).length,
    reset: () => void requests.splice(0),
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  registry.route('GET', '/v2/', { kind: 'bytes', body: '{}', contentType: 'application/json' });
  return registry;
}

const notFound: Reply = {
  kind: 'bytes',
  status: 404,
  body: '{"errors":[{"code":"NAME_UNKNOWN","message":"not routed"}]}',
  contentType: 'application/json',
};

function send(
  reply: Exclude<Reply, { kind: 'custom' }>,
  request: RecordedRequest,
  res: ServerResponse,
  timers: Set<NodeJS.Timeout>,
): void {
  const head = request.method === 'HEAD';
  const headers: Record<string, string> = { ...reply.headers };
  const status = reply.status;
  switch (reply.kind) {
    case 'bytes':
    case 'loop-link': {
      const body = Buffer.from(reply.body);
      if (reply.contentType !== undefined) headers['content-type'] = reply.contentType;
      if (reply.kind === 'bytes' && reply.digest !== undefined) headers['docker-content-digest'] = reply.digest;
      if (reply.kind === 'loop-link') headers['link'] = `<${request.url}>; rel="next"`;
      res.writeHead(status ?? 200, { ...headers, 'content-length': String(body.length) });
      res.end(head ? undefined : body);
      return;
    }
    case 'echo': {
      const body = Buffer.from(JSON.stringify(request));
      res.writeHead(status ?? 200, {
        'content-type': 'application/json',
        ...headers,
        'content-length': String(body.length),
      });
      res.end(head ? undefined : body);
      return;
    }
    case 'redirect':
      res.writeHead(status ?? 307, { ...headers, location: reply.location, 'content-length': '0' });
      res.end();
      return;
    case 'challenge': {
      const params = [`realm="${reply.realm}"`];
      if (reply.service !== undefined) params.push(`service="${reply.service}"`);
      if (reply.scope !== undefined) params.push(`scope="${reply.scope}"`);
      const body = Buffer.from('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      res.writeHead(status ?? 401, {
        'content-type': 'application/json',
        ...headers,
        'www-authenticate': `Bearer ${params.join(',')}`,
        'content-length': String(body.length),
      });
      res.end(head ? undefined : body);
      return;
    }
    case 'huge':
      res.writeHead(status ?? 200, {
        'content-type': 'application/octet-stream',
        ...headers,
        ...(reply.chunked ? {} : { 'content-length': String(reply.size) }),
      });
      if (head) res.end();
      else streamHuge(res, reply.size, reply.fill ?? 0x61);
      return;
    case 'drip':
      drip(res, Buffer.from(reply.body), reply.intervalMs, status ?? 200, headers, head, timers);
      return;
  }
}

/** Writes `size` bytes with back-pressure, one reused chunk at a time. */
function streamHuge(res: ServerResponse, size: number, fill: number): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let left = size;
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function drip(
  res: ServerResponse,
  body: Buffer,
  intervalMs: number,
  status: number,
  headers: Record<string, string>,
  head: boolean,
  timers: Set<NodeJS.Timeout>,
): void {
  res.writeHead(status, {
    'content-type': 'application/octet-stream',
    ...headers,
    'content-length': String(body.length),
  });
  if (head || body.length === 0) return void res.end();
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return stop();
    res.write(body.subarray(sent, sent + 1));
    if (++sent === body.length) {
      res.end();
      stop();
    }
  }, intervalMs);
  const stop = (): void => {
    clearInterval(timer);
    timers.delete(timer);
  };
  timers.add(timer);
  res.once('close', stop);
}
