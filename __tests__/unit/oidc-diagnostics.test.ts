/** The OIDC trust diagnostic: claims read from the token's payload only, the condition that would match, never the token. */
import { describe, expect, it } from '@jest/globals';
import { STSServiceException } from '@aws-sdk/client-sts';
import { oidcTrustDiagnostic, readTokenClaims } from '../../src/aws/oidc-diagnostics.js';

const ROLE = 'arn:aws:iam::123456789012:role/publisher';
const SIGNATURE = 'c2lnbmF0dXJlLW5ldmVyLXNob3du';
const HEADER = Buffer.from('{"alg":"RS256","typ":"JWT","kid":"header-never-shown"}').toString('base64url');

/** A token shaped like GitHub's: base64url header, the payload given (object or raw text), signature. */
function jwt(payload: object | string): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return `${HEADER}.${Buffer.from(text).toString('base64url')}.${SIGNATURE}`;
}

const BRANCH_CLAIMS = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:o/r:ref:refs/heads/main',
  aud: 'sts.amazonaws.com',
  repository: 'o/r',
  ref: 'refs/heads/main',
  job_workflow_ref: 'o/r/.github/workflows/release.yml@refs/heads/main',
  exp: 1_900_000_000,
};

function stsError(name: string, message: string, status = 400): STSServiceException {
  return new STSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const accessDenied = stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);

function diagnose(idToken: string, error: unknown = accessDenied): string {
  const headline = `Could not assume role ${ROLE}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`;
  const message = oidcTrustDiagnostic({ error, headline, roleArn: ROLE, idToken });
  if (message === undefined) throw new Error('expected a diagnostic');
  // Nothing of the token but its decoded claims: not the token, its header, its payload text or its signature.
  for (const part of [idToken, ...idToken.split('.')]) if (part.length > 0) expect(message).not.toContain(part);
  expect(message).not.toContain('header-never-shown');
  return message;
}

describe('readTokenClaims', () => {
  it('reads the claims a trust policy matches on from the payload, and the provider from iss', () => {
    const claims = readTokenClaims(jwt(BRANCH_CLAIMS));
    expect(claims).toEqual({
      readable: true,
      values: {
        sub: 'repo:o/r:ref:refs/heads/main',
        aud: 'sts.amazonaws.com',
        repository: 'o/r',
        ref: 'refs/heads/main',
        job_workflow_ref: 'o/r/.github/workflows/release.yml@refs/heads/main',
      },
      notes: {},
      provider: 'token.actions.githubusercontent.com',
    });
  });

  it("takes an enterprise issuer's path into the condition-key prefix, and ignores an issuer that is not https", () => {
    const enterprise = readTokenClaims(
      jwt({ ...BRANCH_CLAIMS, iss: 'https://token.actions.githubusercontent.com/acme' }),
    );
    expect(enterprise.readable && enterprise.provider).toBe('token.actions.githubusercontent.com/acme');
    const odd = readTokenClaims(jwt({ ...BRANCH_CLAIMS, iss: 'http://evil.example/"x' }));
    expect(odd.readable && odd.provider).toBe('token.actions.githubusercontent.com');
  });

  it('notes claims that are not strings or too long instead of using them', () => {
    const claims = readTokenClaims(jwt({ ...BRANCH_CLAIMS, aud: ['a', 'b'], ref: 'r'.repeat(513) }));
    expect(claims.readable && claims.notes).toEqual({ aud: 'not a string', ref: 'longer than 512 characters' });
    expect(claims.readable && claims.values.aud).toBeUndefined();
  });

  it('does not take inherited properties for claims', () => {
    const claims = readTokenClaims(jwt('{"__proto__":{"sub":"injected"}}'));
    expect(claims.readable && claims.values).toEqual({});
  });

  it.each([
    ['not a JWT', 'just-one-part'],
    ['four parts', 'a.b.c.d'],
    ['empty payload', `${HEADER}..${SIGNATURE}`],
    ['payload not base64url', `${HEADER}.ab+/cd.${SIGNATURE}`],
    ['payload not JSON', jwt('{"sub": ')],
    ['payload not UTF-8', `${HEADER}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${SIGNATURE}`],
    ['payload a JSON array', jwt('["sub"]')],
    ['payload JSON null', jwt('null')],
    ['payload too large', jwt({ sub: 'x'.repeat(20_000) })],
    ['token too large', `${HEADER}.${'A'.repeat(70_000)}.${SIGNATURE}`],
  ])('says why the claims cannot be read: %s', (_what, token) => {
    const claims = readTokenClaims(token);
    expect(claims.readable).toBe(false);
    if (!claims.readable) expect(claims.reason).not.toContain(token);
  });
});

describe('oidcTrustDiagnostic', () => {
  it('on AccessDenied: role, each claim (absent ones too), the matching sub and aud condition, the wildcard', () => {
    const message = diagnose(jwt(BRANCH_CLAIMS));
    expect(message.split('\n')).toEqual([
      `Could not assume role ${ROLE}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity. ` +
        `The role's trust policy does not allow this job's token (sub "repo:o/r:ref:refs/heads/main", aud "sts.amazonaws.com"); details follow in the log.`,
      "Claims of this job's OIDC token that a trust policy can match on (from its payload; the token is never shown):",
      '  sub:              "repo:o/r:ref:refs/heads/main"',
      '  aud:              "sts.amazonaws.com"',
      '  repository:       "o/r"',
      '  ref:              "refs/heads/main"',
      '  environment:      (absent)',
      '  job_workflow_ref: "o/r/.github/workflows/release.yml@refs/heads/main"',
      `A trust policy condition of ${ROLE} that matches this job:`,
      '  "Condition": {',
      '    "StringEquals": {',
      '      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",',
      '      "token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main"',
      '    }',
      '  }',
      'Or, for every workflow run of o/r (any branch, tag, environment or pull request):',
      '  "StringLike": { "token.actions.githubusercontent.com:sub": "repo:o/r:*" }',
      `The trust policy's Principal must be {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"} (the account's IAM OIDC provider).`,
    ]);
  });

  it('shows the environment claim and the environment sub a job with an environment has', () => {
    const message = diagnose(jwt({ ...BRANCH_CLAIMS, sub: 'repo:o/r:environment:prod', environment: 'prod' }));
    expect(message).toContain('  environment:      "prod"');
    expect(message).toContain(
      'This job runs in environment "prod", so its sub names the environment, not the branch or tag.',
    );
    expect(message).toContain('"token.actions.githubusercontent.com:sub": "repo:o/r:environment:prod"');
    expect(message.split('\n')[0]).toContain('(sub "repo:o/r:environment:prod", aud "sts.amazonaws.com")');
  });

  it('suggests the pull_request sub for a pull request job', () => {
    const pr = { ...BRANCH_CLAIMS, sub: 'repo:o/r:pull_request', ref: 'refs/pull/7/merge' };
    const message = diagnose(jwt(pr));
    expect(message).toContain('"token.actions.githubusercontent.com:sub": "repo:o/r:pull_request"');
    expect(message).toContain('  ref:              "refs/pull/7/merge"');
  });

  it('offers no repository wildcard for a customised sub that does not start with repo:<repository>:', () => {
    const message = diagnose(jwt({ ...BRANCH_CLAIMS, sub: 'repository_owner_id:42:environment:prod' }));
    expect(message).toContain('"token.actions.githubusercontent.com:sub": "repository_owner_id:42:environment:prod"');
    expect(message).not.toContain('StringLike');
  });

  it('keeps a hostile claim value on its own quoted line', () => {
    const message = diagnose(jwt({ ...BRANCH_CLAIMS, ref: 'refs/heads/x\n::add-mask::oops' }));
    expect(message).toContain('  ref:              "refs/heads/x\\n::add-mask::oops"');
    expect(message.split('\n').some((line) => line.startsWith('::'))).toBe(false);
  });

  it('says the claims could not be read for a malformed payload, without crashing or quoting it', () => {
    const message = diagnose(`${HEADER}.bm90LWpzb24.${SIGNATURE}`);
    expect(message.split('\n')).toEqual([
      `Could not assume role ${ROLE}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity. ` +
        "The role's trust policy does not allow this job's token (its claims could not be read); details follow in the log.",
      "The token's claims could not be read: its payload is not UTF-8 JSON.",
      `The trust policy's Principal must be {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"} (the account's IAM OIDC provider).`,
    ]);
  });

  it('on InvalidIdentityToken (either SDK name): points at the OIDC provider and its audience, with the claims', () => {
    for (const name of ['InvalidIdentityToken', 'InvalidIdentityTokenException']) {
      const message = diagnose(
        jwt({ ...BRANCH_CLAIMS, aud: 'my-audience' }),
        stsError(name, 'Incorrect token audience'),
      );
      const [first] = message.split('\n');
      expect(first).toContain(
        `STS did not accept this job's token (sub "repo:o/r:ref:refs/heads/main", aud "my-audience"): ` +
          "the role's account needs the IAM OIDC provider token.actions.githubusercontent.com listing that audience",
      );
      expect(message).toContain('  aud:              "my-audience"');
      expect(message).toContain('"token.actions.githubusercontent.com:aud": "my-audience"');
    }
  });

  it('has nothing to say about other errors', () => {
    for (const error of [stsError('ValidationError', 'bad'), stsError('ExpiredTokenException', 'expired'), 'x']) {
      expect(oidcTrustDiagnostic({ error, headline: 'h', roleArn: ROLE, idToken: jwt(BRANCH_CLAIMS) })).toBeUndefined();
    }
  });
});
