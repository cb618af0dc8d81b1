/** Bearer tokens: fetching one for a set of scopes from the realm the registry's own challenge announced. */
import type { Challenge } from './challenge.js';
import { basicAuthorization, type RegistryCredentials } from './credentials.js';
import { asTransportError, describeError, isTransientStatus, RegistryError } from './errors.js';
import { readCapped, SMALL_BODY_LIMIT } from './read-capped.js';
import type { Secrets } from './secrets.js';
import { checkFollowedUrl } from './url-policy.js';

export interface BearerToken {
  header: string;
  expiresAt: number;
}

export interface TokenSource {
  registry: string;
  /** `scheme://host:port` of the registry; its challenge is the only one answered. */
  baseUrl: string;
  credentials: RegistryCredentials | undefined;
  secrets: Secrets;
  userAgent: string;
  timeoutMs: number;
  fetch: typeof fetch;
  now(): number;
  withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T>;
}

/** The Basic header of the source's credentials, announced as a secret before it is used. */
export function basicHeader(source: Pick<TokenSource, 'credentials' | 'secrets'>): string | undefined {
  if (source.credentials === undefined) return undefined;
  const header = basicAuthorization(source.credentials);
  source.secrets.add(header.slice('Basic '.length));
  return header;
}

/** Reads the token answer, at most 64 KiB of it, and announces the token before anyone uses it. */
async function readToken(response: Response, url: URL, source: TokenSource): Promise<BearerToken> {
  const { text, complete } = await readCapped(response).catch((error: unknown) => {
    throw asTransportError(error, 'GET', url.toString());
  });
  if (!complete) {
    const message = `token endpoint ${url.origin} answered more than ${SMALL_BODY_LIMIT} bytes; refused`;
    throw new RegistryError(message, response.status, undefined, false);
  }
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new RegistryError(`token endpoint ${url.origin} answered no JSON`, response.status, undefined, false);
  }
  const token = body.token ?? body.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new RegistryError(`token endpoint ${url.origin} returned no token`, response.status, undefined, false);
  }
  source.secrets.add(token);
  if (typeof body.access_token === 'string') source.secrets.add(body.access_token);
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
  const lifetimeMs = Math.max(30, expiresIn) * 1000;
  return { header: `Bearer ${token}`, expiresAt: source.now() + lifetimeMs - 10_000 };
}

/** Asks the realm for a token, with the credentials (if any) as Basic auth; never over plain http. */
export async function fetchToken(challenge: Challenge, scopes: string[], source: TokenSource): Promise<BearerToken> {
  const realm = challenge.params.realm;
  if (realm === undefined) {
    throw new RegistryError(`${source.registry}: Bearer challenge without a realm`, 401, undefined, false);
  }
  const url = checkFollowedUrl(source.baseUrl, realm, `${source.registry} pointed its token realm`);
  if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { 'user-agent': source.userAgent };
  const basic = basicHeader(source);
  if (basic !== undefined) headers.authorization = basic;
  const scrub = (text: string) => source.secrets.scrub(text, [basic]);
  return source.withRetries(`token from ${url.origin}${url.pathname}`, async () => {
    let response: Response;
    try {
      response = await source.fetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(source.timeoutMs) });
    } catch (error) {
      throw asTransportError(error, 'GET', url.toString());
    }
    if (!response.ok) {
      const { message } = await describeError(response, 'GET', url.toString(), scrub);
      const transient = isTransientStatus(response.status);
      throw new RegistryError(`token request failed: ${message}`, response.status, undefined, transient);
    }
    return readToken(response, url, source);
  });
}
