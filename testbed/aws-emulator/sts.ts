/** STS over the query protocol: AssumeRoleWithWebIdentity (GitHub OIDC) and GetCallerIdentity. */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, xmlEscape } from './http.js';
import type { OidcIssuer } from './oidc.js';
import { trustAllows, type PolicyDocument } from './iam.js';

export interface Principal {
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary (assumed-role) credentials; requests must carry it. */
  sessionToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
}

/** One injected failure for the next AssumeRoleWithWebIdentity call. */
export interface StsFault {
  code?: string;
  message?: string;
  status: number;
}

export interface StsOptions {
  accountId: string;
  roleArn: string;
  audience: string;
  maxSessionDurationSeconds: number;
  trustPolicy: PolicyDocument;
  now: () => number;
}

const OIDC_PROVIDER_HOST = 'token.actions.githubusercontent.com';

function randomKeyId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return prefix + Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
}

export class StsEmulator {
  readonly issuedCredentials: IssuedCredentials[] = [];
  readonly principals = new Map<string, Principal>();
  private readonly faults: StsFault[] = [];

  constructor(
    private readonly options: StsOptions,
    private readonly oidc: OidcIssuer,
  ) {}

  /** The next AssumeRoleWithWebIdentity calls fail with these, in order, before trust is even checked. */
  failNext(faults: StsFault[]): void {
    this.faults.push(...faults);
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  addPrincipal(principal: Principal): void {
    this.principals.set(principal.accessKeyId, principal);
  }

  /** Runs one query-protocol action and returns the XML document to answer with. */
  handle(params: URLSearchParams, caller: Principal | undefined): { operation: string; xml: string } {
    const operation = params.get('Action') ?? '';
    if (operation === 'AssumeRoleWithWebIdentity') return { operation, xml: this.assumeRoleWithWebIdentity(params) };
    if (operation === 'GetCallerIdentity') {
      if (caller === undefined)
        throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      return { operation, xml: this.getCallerIdentity(caller) };
    }
    throw new AwsError(
      'InvalidAction',
      `Could not find operation ${operation} for version ${params.get('Version') ?? ''}`,
      400,
    );
  }

  private assumeRoleWithWebIdentity(params: URLSearchParams): string {
    const fault = this.faults.shift();
    if (fault !== undefined) {
      throw new AwsError(fault.code ?? 'InternalFailure', fault.message ?? 'Injected failure', fault.status);
    }
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const token = params.get('WebIdentityToken') ?? '';
    const durationSeconds = Number(params.get('DurationSeconds') ?? '3600');

    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    }
    if (durationSeconds > this.options.maxSessionDurationSeconds) {
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }
    const claims = this.oidc.verify(token);
    if (claims === undefined) {
      throw new AwsError(
        'InvalidIdentityToken',
        'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.',
      );
    }
    if (claims.exp * 1000 <= this.options.now()) {
      throw new AwsError(
        'ExpiredTokenException',
        'Token expired: current date/time must be before the expiration date/time.',
      );
    }
    // The OIDC provider's client-ID list: a token for another audience is not even a valid token.
    if (claims.aud !== this.options.audience) {
      throw new AwsError('InvalidIdentityToken', 'Incorrect token audience');
    }
    const trusted =
      roleArn === this.options.roleArn &&
      trustAllows(this.options.trustPolicy, {
        federatedPrincipal: `arn:aws:iam::${this.options.accountId}:oidc-provider/${OIDC_PROVIDER_HOST}`,
        action: 'sts:AssumeRoleWithWebIdentity',
        context: { [`${OIDC_PROVIDER_HOST}:aud`]: claims.aud, [`${OIDC_PROVIDER_HOST}:sub`]: claims.sub },
      });
    if (!trusted) throw new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);

    const roleName = roleArn.split('/').pop() ?? '';
    const assumedRoleArn = `arn:aws:sts::${this.options.accountId}:assumed-role/${roleName}/${sessionName}`;
    const expiration = new Date(this.options.now() + durationSeconds * 1000);
    const credentials: IssuedCredentials = {
      accessKeyId: randomKeyId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(120).toString('base64'),
      expiration,
      assumedRoleArn,
    };
    this.issuedCredentials.push(credentials);
    this.addPrincipal({
      arn: assumedRoleArn,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiresAt: expiration.getTime(),
    });
    const roleId = randomKeyId('AROA');
    return (
      '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
      `<Audience>${xmlEscape(claims.aud)}</Audience>` +
      `<AssumedRoleUser><Arn>${xmlEscape(assumedRoleArn)}</Arn><AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Provider>${OIDC_PROVIDER_HOST}</Provider>` +
      `<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(credentials.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xmlEscape(credentials.sessionToken)}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials>` +
      `<SubjectFromWebIdentityToken>${xmlEscape(claims.sub)}</SubjectFromWebIdentityToken>` +
      `</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`
    );
  }

  private getCallerIdentity(caller: Principal): string {
    return (
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
      `<Arn>${xmlEscape(caller.arn)}</Arn><UserId>${caller.accessKeyId}</UserId><Account>${this.options.accountId}</Account>` +
      `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
    );
  }
}
