/** The registry's auth challenge: parsing `WWW-Authenticate`, and learning it by pinging `/v2/`. */
import { describeError, isTransientStatus, RegistryError } from './errors.js';
import type { Followed } from './redirect.js';
import { mayCarryAuthorization } from './url-policy.js';

export interface Challenge {
  scheme: 'basic' | 'bearer' | 'none';
  params: Record<string, string>;
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

/** What a ping needs from the transport: an unauthenticated GET of `/v2/`, and its retry loop. */
export interface PingVia {
  registry: string;
  baseUrl: string;
  get(path: string): Promise<Followed>;
  scrub(text: string): string;
  withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T>;
}

/**
 * An open registry answers 200; one that wants auth answers 401 with its challenge, which is
 * followed only when the registry's own origin sent it (not a host `/v2/` redirected to).
 */
export function ping(via: PingVia): Promise<Challenge> {
  const url = `${via.baseUrl}/v2/`;
  return via.withRetries(`GET ${url}`, async () => {
    const { response, url: answeredBy } = await via.get('/v2/');
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 200) return { scheme: 'none', params: {} } as Challenge;
    if (response.status === 401 && mayCarryAuthorization(answeredBy, via.baseUrl)) {
      return parseChallenge(response.headers.get('www-authenticate'));
    }
    const { message } = await describeError(response, 'GET', url, via.scrub);
    const what = `${via.registry} is not a container registry: ${message}`;
    throw new RegistryError(what, response.status, undefined, isTransientStatus(response.status));
  });
}
