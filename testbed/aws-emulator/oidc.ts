/** GitHub Actions OIDC token endpoint, answering exactly what `@actions/core`'s getIDToken() asks for. */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

export interface OidcClaims {
  iss: string;
  aud: string;
  sub: string;
  repository: string;
  repository_owner: string;
  ref: string;
  ref_type: string;
  event_name: string;
  workflow_ref: string;
  job_workflow_ref: string;
  /** Only for a job that names an environment, as on GitHub. */
  environment?: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface OidcOptions {
  /** `org/repo` of the workflow. */
  repository: string;
  subject: string;
  /** The job's deployment environment, if any. */
  environment?: string;
  now: () => number;
  lifetimeSeconds: number;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

export class OidcIssuer {
  /** What the runner puts in ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken = randomBytes(24).toString('hex');
  /** Every token value handed out, so tests can check none reaches a log. */
  readonly issuedTokens: string[] = [];
  requestCount = 0;
  private readonly signingKey = randomBytes(32);
  private readonly claimsByToken = new Map<string, OidcClaims>();

  constructor(private readonly options: OidcOptions) {}

  handle(request: IncomingMessage, response: ServerResponse, url: URL): void {
    this.requestCount += 1;
    const expected = Buffer.from(`Bearer ${this.requestToken}`);
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Bad credentials' }));
      return;
    }
    const owner = this.options.repository.split('/')[0] ?? '';
    // Without an audience GitHub uses the owner's URL.
    const audience = url.searchParams.get('audience') ?? `https://github.com/${owner}`;
    const token = this.issue(audience);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ count: 1, value: token }));
  }

  issue(audience: string): string {
    const issuedAt = Math.floor(this.options.now() / 1000);
    const owner = this.options.repository.split('/')[0] ?? '';
    const workflowRef = `${this.options.repository}/.github/workflows/release.yml@refs/heads/main`;
    const claims: OidcClaims = {
      jti: randomUUID(),
      sub: this.options.subject,
      aud: audience,
      ref: 'refs/heads/main',
      ref_type: 'branch',
      event_name: 'release',
      workflow_ref: workflowRef,
      job_workflow_ref: workflowRef,
      ...(this.options.environment === undefined ? {} : { environment: this.options.environment }),
      repository: this.options.repository,
      repository_owner: owner,
      iss: GITHUB_OIDC_ISSUER,
      iat: issuedAt,
      nbf: issuedAt - 5,
      exp: issuedAt + this.options.lifetimeSeconds,
    };
    const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'emulator' }))}.${base64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${base64url(createHmac('sha256', this.signingKey).update(signingInput).digest())}`;
    this.issuedTokens.push(token);
    this.claimsByToken.set(token, claims);
    return token;
  }

  /** The claims of a token this issuer signed, or undefined for anything else. */
  verify(token: string): OidcClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', this.signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return this.claimsByToken.get(token);
  }
}
