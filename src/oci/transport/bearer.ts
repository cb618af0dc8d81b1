/** Bearer tokens: fetching one for a set of scopes from the challenge's realm. */
import { isLoopbackHost } from '../reference.js';
import type { Challenge } from './challenge.js';
import { basicAuthorization, type RegistryCredentials } from './credentials.js';
import { asTransportError, describeError, isTransientStatus, RegistryError } from './errors.js';

export interface BearerToken {
  header: string;
  expiresAt: number;
}

export interface TokenSource {
  registry: string;
  credentials: RegistryCredentials | undefined;
  userAgent: string;
  timeoutMs: number;
  fetch: typeof fetch;
  now(): number;
  withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T>;
}

/** Asks the realm for a token, with the credentials (if any) as Basic auth; never over plain http. */
export async function fetchToken(challenge: Challenge, scopes: string[], source: TokenSource): Promise<BearerToken> {
  const realm = challenge.params.realm;
  if (realm === undefined) {
    throw new RegistryError(`${source.registry}: Bearer challenge without a realm`, 401, undefined, false);
  }
  const url = new URL(realm);
  if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
    const message = `${source.registry}: token realm ${url.origin} is plain http; refused`;
    throw new RegistryError(message, 401, undefined, false);
  }
  if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { 'user-agent': source.userAgent };
  if (source.credentials !== undefined) headers.authorization = basicAuthorization(source.credentials);
  return source.withRetries(`token from ${url.origin}${url.pathname}`, async () => {
    let response: Response;
    try {
      response = await source.fetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(source.timeoutMs) });
    } catch (error) {
      throw asTransportError(error, 'GET', url.toString());
    }
    if (!response.ok) {
      const { message } = await describeError(response, 'GET', url.toString());
      const transient = isTransientStatus(response.status);
      throw new RegistryError(`token request failed: ${message}`, response.status, undefined, transient);
    }
    const body = (await response.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (token === undefined || token === '') {
      throw new RegistryError(`token endpoint ${url.origin} returned no token`, response.status, undefined, false);
    }
    const lifetimeMs = Math.max(30, body.expires_in ?? 60) * 1000;
    return { header: `Bearer ${token}`, expiresAt: source.now() + lifetimeMs - 10_000 };
  });
}
