/** The Authorization header: the registry's challenge, learnt once, then Basic or a cached Bearer token. */
import { basicHeader, fetchToken, type BearerToken, type TokenSource } from './bearer.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { RegistryError } from './errors.js';

export interface AuthSource extends TokenSource {
  /** Learns the challenge (pings `/v2/`); asked again only after a failure. */
  ping(): Promise<Challenge>;
}

export class Authenticator {
  private challenge: Promise<Challenge> | undefined;
  /** Bearer tokens by their sorted scopes. */
  private readonly tokens = new Map<string, BearerToken>();

  constructor(private readonly source: AuthSource) {}

  /** A 401 from the registry's own origin carries the challenge again (tokens expire mid-run). */
  learn(header: string | null): void {
    const challenge = parseChallenge(header);
    if (challenge.scheme !== 'none') this.challenge = Promise.resolve(challenge);
  }

  /** The header for these scopes, or `undefined` for an open registry; `refresh` skips the token cache. */
  async authorization(scopes: string[], refresh: boolean): Promise<string | undefined> {
    this.challenge ??= this.source.ping();
    let challenge: Challenge;
    try {
      challenge = await this.challenge;
    } catch (error) {
      this.challenge = undefined;
      throw error;
    }
    if (challenge.scheme === 'none') return undefined;
    if (challenge.scheme === 'basic') {
      const basic = basicHeader(this.source);
      if (basic === undefined) {
        const message = `${this.source.registry} requires a username and password (Basic auth) and none were given`;
        throw new RegistryError(message, 401, undefined, false);
      }
      return basic;
    }
    const key = [...scopes].sort().join(' ');
    const cached = refresh ? undefined : this.covering(key, scopes);
    if (cached !== undefined) return cached.header;
    const token = await fetchToken(challenge, scopes, this.source);
    this.tokens.set(key, token);
    return token.header;
  }

  /** A live token for these scopes: its own, or one fetched for more scopes at once (see `Transport.authorize`). */
  private covering(key: string, scopes: string[]): BearerToken | undefined {
    const now = this.source.now();
    const own = this.tokens.get(key);
    if (own !== undefined && own.expiresAt > now) return own;
    for (const [wider, token] of this.tokens) {
      if (token.expiresAt <= now) continue;
      const granted = new Set(wider.split(' '));
      if (scopes.every((scope) => granted.has(scope))) return token;
    }
    return undefined;
  }
}
