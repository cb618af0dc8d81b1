/** Why STS refused this job's OIDC token: the claims a trust policy matches on, and a condition that would match. */
import { errorName } from './sdk.js';

/** The claims a role's trust policy usually matches on, in the order they are shown. */
export const TRUST_CLAIMS = ['sub', 'aud', 'repository', 'ref', 'environment', 'job_workflow_ref'] as const;
export type TrustClaim = (typeof TRUST_CLAIMS)[number];

export const GITHUB_OIDC_PROVIDER = 'token.actions.githubusercontent.com';

// GitHub's tokens are about 1-2 KB; anything far larger is not one of them.
const MAX_TOKEN_CHARS = 64 * 1024;
const MAX_PAYLOAD_CHARS = 16 * 1024;
const MAX_CLAIM_CHARS = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// `https://token.actions.githubusercontent.com` or an enterprise's `…/<slug>`: the IAM condition-key prefix.
const ISSUER = /^https:\/\/([a-z0-9.-]{1,253}(?:\/[A-Za-z0-9_.-]{1,100})?)$/;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\//;

export type TokenClaims =
  | {
      readable: true;
      /** Usable string values; a claim missing here is absent or unusable (see `notes`). */
      values: Partial<Record<TrustClaim, string>>;
      notes: Partial<Record<TrustClaim, string>>;
      /** The OIDC provider's host (and path), the prefix of `…:sub` / `…:aud` condition keys. */
      provider: string;
    }
  | { readable: false; reason: string };

function unreadable(reason: string): TokenClaims {
  return { readable: false, reason };
}

/** The payload claims of a JWT, bounded and validated; the header and signature are never looked at. */
export function readTokenClaims(token: string): TokenClaims {
  if (token.length > MAX_TOKEN_CHARS) return unreadable(`the token is longer than ${MAX_TOKEN_CHARS} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) return unreadable('the token is not a JWT of three dot-separated parts');
  const payload = parts[1] ?? '';
  if (payload.length > MAX_PAYLOAD_CHARS)
    return unreadable(`its payload is longer than ${MAX_PAYLOAD_CHARS} characters`);
  if (!BASE64URL.test(payload)) return unreadable('its payload is not base64url');
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64url'));
    parsed = JSON.parse(text);
  } catch {
    return unreadable('its payload is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return unreadable('its payload is not a JSON object');
  const claims = parsed as Record<string, unknown>;
  const values: Partial<Record<TrustClaim, string>> = {};
  const notes: Partial<Record<TrustClaim, string>> = {};
  for (const name of TRUST_CLAIMS) {
    if (!Object.hasOwn(claims, name)) continue;
    const value = claims[name];
    if (typeof value !== 'string') notes[name] = 'not a string';
    else if (value.length > MAX_CLAIM_CHARS) notes[name] = `longer than ${MAX_CLAIM_CHARS} characters`;
    else values[name] = value;
  }
  const issuer = Object.hasOwn(claims, 'iss') && typeof claims.iss === 'string' ? ISSUER.exec(claims.iss) : null;
  return { readable: true, values, notes, provider: issuer?.[1] ?? GITHUB_OIDC_PROVIDER };
}

export interface TrustFailure {
  /** What STS threw. */
  error: unknown;
  /** `Could not assume role …: <AWS error>`, already free of secrets. */
  headline: string;
  roleArn: string;
  idToken: string;
}

/** STS's `AccessDenied` (trust policy) or `InvalidIdentityToken` (OIDC provider), under either name the SDK uses. */
function refusal(error: unknown): 'trust' | 'provider' | undefined {
  const name = errorName(error);
  if (name === 'AccessDenied' || name === 'AccessDeniedException') return 'trust';
  if (name === 'InvalidIdentityToken' || name === 'InvalidIdentityTokenException') return 'provider';
  return undefined;
}

const quoted = (value: string): string => JSON.stringify(value);

function claimLines(claims: TokenClaims & { readable: true }): string[] {
  const width = Math.max(...TRUST_CLAIMS.map((name) => name.length)) + 1;
  return TRUST_CLAIMS.map((name) => {
    const value = claims.values[name];
    const shown = value !== undefined ? quoted(value) : `(${claims.notes[name] ?? 'absent'})`;
    return `  ${`${name}:`.padEnd(width)} ${shown}`;
  });
}

/** The `Condition` block matching exactly this job, and the repository-wide wildcard when the sub has GitHub's form. */
function conditionLines(claims: TokenClaims & { readable: true }, roleArn: string): string[] {
  const { sub, aud, repository, environment } = claims.values;
  if (sub === undefined) return ['No sub condition can be suggested: the token has no readable sub claim.'];
  const equals = { ...(aud === undefined ? {} : { [`${claims.provider}:aud`]: aud }), [`${claims.provider}:sub`]: sub };
  const block = JSON.stringify({ StringEquals: equals }, null, 2).split('\n');
  // The most common surprise: a job with an environment gets `…:environment:<name>`, not `…:ref:<branch>`.
  const lines =
    environment !== undefined && sub.endsWith(`:environment:${environment}`)
      ? [
          `This job runs in environment ${quoted(environment)}, so its sub names the environment, not the branch or tag.`,
        ]
      : [];
  lines.push(`A trust policy condition of ${roleArn} that matches this job:`, `  "Condition": ${block[0]}`);
  lines.push(...block.slice(1).map((line) => `  ${line}`));
  if (repository !== undefined && /^[\w.-]+\/[\w.-]+$/.test(repository) && sub.startsWith(`repo:${repository}:`)) {
    lines.push(
      `Or, for every workflow run of ${repository} (any branch, tag, environment or pull request):`,
      `  "StringLike": { ${quoted(`${claims.provider}:sub`)}: ${quoted(`repo:${repository}:*`)} }`,
    );
  }
  return lines;
}

/** Where the role must point its `Principal.Federated`, when the role ARN says which account. */
function principalLine(roleArn: string, provider: string): string[] {
  const arn = ROLE_ARN.exec(roleArn);
  if (arn === null) return [];
  const federated = `arn:${arn[1]}:iam::${arn[2]}:oidc-provider/${provider}`;
  return [
    `The trust policy's Principal must be {"Federated": ${quoted(federated)}} (the account's IAM OIDC provider).`,
  ];
}

/**
 * The error message for a refusal a user can act on, or undefined for any other error. Its first line stands alone
 * (it becomes the annotation); the claims and the condition follow as further lines. The token is never quoted.
 */
export function oidcTrustDiagnostic(failure: TrustFailure): string | undefined {
  const kind = refusal(failure.error);
  if (kind === undefined) return undefined;
  const { headline, roleArn } = failure;
  const claims = readTokenClaims(failure.idToken);
  const provider = claims.readable ? claims.provider : GITHUB_OIDC_PROVIDER;
  const shown = claims.readable
    ? `sub ${quoted(claims.values.sub ?? '(absent)')}, aud ${quoted(claims.values.aud ?? '(absent)')}`
    : 'its claims could not be read';
  const why =
    kind === 'trust'
      ? `The role's trust policy does not allow this job's token (${shown})`
      : `STS did not accept this job's token (${shown}): the role's account needs the IAM OIDC provider ${provider} listing that audience`;
  const first = `${headline.replace(/\.$/, '')}. ${why}; details follow in the log.`;
  if (!claims.readable)
    return [first, `The token's claims could not be read: ${claims.reason}.`, ...principalLine(roleArn, provider)].join(
      '\n',
    );
  return [
    first,
    "Claims of this job's OIDC token that a trust policy can match on (from its payload; the token is never shown):",
    ...claimLines(claims),
    ...conditionLines(claims, roleArn),
    ...principalLine(roleArn, provider),
  ].join('\n');
}
