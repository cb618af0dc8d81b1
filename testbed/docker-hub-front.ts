/** Docker-Hub-like front (Bearer tokens, redirected blob GETs) over a loopback registry. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startProxy, type Fault, type Proxy } from './http-proxy.js';

/**
 * A Docker-Hub-like front for a registry: Bearer tokens from a token endpoint, and blob GETs
 * redirected to a "CDN" on another loopback address that refuses any request carrying
 * `Authorization` (as S3 pre-signed URLs do).
 */
export interface DockerHubFront {
  host: string;
  url: string;
  /** The front itself (token, manifests, redirects). */
  front: Proxy;
  /** The CDN blob host. */
  cdn: Proxy;
  tokensIssued: number;
  /** Requests that reached the CDN with credentials (must stay 0). */
  authorizationLeaks: number;
  /** Expire every issued token now (the next request gets 401). */
  expireTokens(): void;
  close(): Promise<void>;
}

export interface DockerHubFrontOptions {
  /** Backing registry without auth, `http://127.0.0.1:PORT`. */
  registryUrl: string;
  tokenLifetimeSeconds?: number;
  latencyMs?: number;
  bytesPerSecond?: number;
  fault?: (method: string, path: string) => Fault | undefined;
  /** Adds Docker Hub's rate-limit headers to manifest responses. */
  rateLimit?: { limit: number; remaining: () => number };
  /** While true, manifest requests get Docker Hub's 429 `TOOMANYREQUESTS` (without quota headers: a plain refusal). */
  rateLimited?: () => boolean;
}

/** Docker Hub's answer to an anonymous pull over its limit. */
const TOO_MANY_REQUESTS = JSON.stringify({
  errors: [
    {
      code: 'TOOMANYREQUESTS',
      message: 'You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
    },
  ],
});

export async function startDockerHubFront(options: DockerHubFrontOptions): Promise<DockerHubFront> {
  const tokens = new Map<string, number>();
  let authorizationLeaks = 0;
  let tokensIssued = 0;
  const lifetime = options.tokenLifetimeSeconds ?? 300;

  const cdn = await startProxy({
    target: options.registryUrl,
    bindHost: '127.0.0.2',
    ...(options.bytesPerSecond !== undefined ? { bytesPerSecond: options.bytesPerSecond } : {}),
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.fault !== undefined ? { fault: options.fault } : {}),
    intercept: (req, res) => {
      if (req.headers.authorization !== undefined) {
        authorizationLeaks++;
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Only one auth mechanism allowed; credentials must not be sent to the blob host');
        return true;
      }
      return false;
    },
  });

  let frontUrl = '';
  const challenge = (res: ServerResponse, scope?: string) => {
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': `Bearer realm="${frontUrl}/token",service="registry.docker.io"${scope ? `,scope="${scope}"` : ''}`,
    });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  };

  const front = await startProxy({
    target: options.registryUrl,
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.bytesPerSecond !== undefined ? { bytesPerSecond: options.bytesPerSecond } : {}),
    ...(options.fault !== undefined ? { fault: options.fault } : {}),
    rewriteHeaders: (headers) => {
      if (options.rateLimit !== undefined) {
        headers['ratelimit-limit'] = `${options.rateLimit.limit};w=21600`;
        headers['ratelimit-remaining'] = `${options.rateLimit.remaining()};w=21600`;
      }
    },
    intercept: (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', frontUrl);
      if (url.pathname === '/token') {
        const token = randomBytes(16).toString('hex');
        tokens.set(token, Date.now() + lifetime * 1000);
        tokensIssued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() }),
        );
        return true;
      }
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const expiry = tokens.get(token);
      if (expiry === undefined || expiry < Date.now()) {
        req.resume();
        const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
        challenge(res, repo ? `repository:${repo}:pull` : undefined);
        return true;
      }
      if (options.rateLimited?.() === true && /^\/v2\/.+\/manifests\//.test(url.pathname)) {
        req.resume();
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(req.method === 'HEAD' ? undefined : TOO_MANY_REQUESTS);
        return true;
      }
      const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
      if (blob !== null && req.method === 'GET') {
        req.resume();
        res.writeHead(307, { location: `${cdn.url}${url.pathname}?X-Signature=${randomBytes(8).toString('hex')}` });
        res.end();
        return true;
      }
      return false;
    },
  });
  frontUrl = front.url;

  return {
    host: front.host,
    url: front.url,
    front,
    cdn,
    get tokensIssued() {
      return tokensIssued;
    },
    get authorizationLeaks() {
      return authorizationLeaks;
    },
    expireTokens: () => {
      for (const key of tokens.keys()) tokens.set(key, 0);
    },
    close: async () => {
      await front.close();
      await cdn.close();
    },
  };
}
