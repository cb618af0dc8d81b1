/** AWS credentials: GitHub OIDC → STS AssumeRoleWithWebIdentity with our retries, or the SDK's chain checked up front. */
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Runtime } from '../runtime.js';
import { retrying } from '../retry.js';
import { oidcTrustDiagnostic } from './oidc-diagnostics.js';
import { awsErrorText, errorMessage, errorName } from './sdk.js';

/** Structurally compatible with the SDK's `AwsCredentialIdentity`. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface AssumedRoleCredentials extends AwsCredentials {
  sessionToken: string;
  expiration: Date;
}

/** Fixed credentials, or a provider the SDK calls (and refreshes) itself. */
export type AwsCredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface AwsClientConfig {
  region: string;
  credentials?: AwsCredentialSource;
}

/** Config for ECR / ECR Public / STS clients; without credentials the SDK default chain is used. */
export function awsClientConfig(region: string, credentials?: AwsCredentialSource): AwsClientConfig {
  return credentials === undefined ? { region } : { region, credentials };
}

export const OIDC_UNAVAILABLE_MESSAGE =
  'The OIDC token is not available: grant the workflow "permissions: id-token: write" to use role-to-assume.';

export const NO_CREDENTIALS_MESSAGE =
  'No AWS credentials: set role-to-assume to the IAM role to assume through GitHub OIDC (the job needs ' +
  '"permissions: id-token: write"), or run a credentials step such as aws-actions/configure-aws-credentials before this one.';

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

export interface AssumeRoleOptions {
  roleArn: string;
  audience: string;
  sessionName: string;
  durationSeconds: number;
  region: string;
  /** The action layer wires this to `core.getIDToken`. */
  getIdToken: (audience: string) => Promise<string>;
  /** False when `ACTIONS_ID_TOKEN_REQUEST_URL` is missing (no `id-token: write`). */
  idTokenAvailable: boolean;
  /** The action layer wires this to `core.setSecret`. */
  onSecret: (value: string) => void;
  runtime: Runtime;
  /** Total time allowed for all attempts, including waits. */
  budgetMs?: number;
  /** First retry waits about this long; later ones double, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected for tests; when given, the caller should construct it with `maxAttempts: 1`. */
  stsClient?: STSClient;
}

const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

const SERVER_FAULT_CODES = new Set([
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NETWORK_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

/**
 * Without role-to-assume: the SDK's default chain (environment, shared files, container or instance role), resolved
 * once now so that a run without credentials stops before its first call. The SDK refreshes the returned provider.
 */
export async function defaultChainCredentials(region: string): Promise<() => Promise<AwsCredentials>> {
  // A client's default provider is the whole chain, memoized; building the client sends nothing.
  const provider = new STSClient({ region }).config.credentials;
  try {
    await provider();
  } catch (error) {
    if (errorName(error) === 'CredentialsProviderError' && /from any providers/.test(errorMessage(error)))
      throw new CredentialsError(NO_CREDENTIALS_MESSAGE);
    throw new CredentialsError(
      `Could not load the AWS credentials of the environment (${awsErrorText(error)}): fix the step that sets them, or set role-to-assume instead.`,
    );
  }
  return provider;
}

/** True for STS errors that may pass on their own: throttling, IdP hiccups, 5xx and network failures. */
export function isTransientStsError(error: unknown): boolean {
  const { name, code, message, $metadata } = shapeOf(error);
  const errorName = typeof name === 'string' ? name : '';
  const errorCode = typeof code === 'string' ? code : '';
  const text = typeof message === 'string' ? message : '';
  if (THROTTLING_CODES.has(errorName) || THROTTLING_CODES.has(errorCode)) return true;
  if (errorName === 'IDPCommunicationError' || errorName === 'IDPCommunicationErrorException') return true;
  // GitHub's JWKS endpoint was briefly unreachable from STS; the same token works a moment later.
  if (errorName === 'InvalidIdentityToken' || errorName === 'InvalidIdentityTokenException') {
    return text.includes("Couldn't retrieve verification key");
  }
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  if (SERVER_FAULT_CODES.has(errorName)) return true;
  if (NETWORK_ERROR_NAMES.has(errorName) || NETWORK_ERROR_CODES.has(errorCode)) return true;
  return false;
}

/** One line of AWS error text with every secret replaced by `***`. */
function describeError(error: unknown, secrets: readonly string[]): string {
  let text = awsErrorText(error);
  for (const secret of secrets) {
    if (secret.length > 0) text = text.split(secret).join('***');
  }
  return text;
}

/** Exchanges the GitHub OIDC token for role credentials; every secret goes to `onSecret` before it is returned. */
export async function assumeRoleWithGitHubOidc(options: AssumeRoleOptions): Promise<AssumedRoleCredentials> {
  const { roleArn, audience, sessionName, durationSeconds, region, runtime, onSecret } = options;
  const budgetMs = options.budgetMs ?? 60_000;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;

  if (!options.idTokenAvailable) throw new CredentialsError(OIDC_UNAVAILABLE_MESSAGE);

  let idToken: string;
  try {
    idToken = await options.getIdToken(audience);
  } catch (error) {
    throw new CredentialsError(
      `Could not get the GitHub OIDC token for audience "${audience}": ${describeError(error, [])}`,
    );
  }
  if (idToken.length === 0) throw new CredentialsError(`The GitHub OIDC token for audience "${audience}" is empty.`);
  onSecret(idToken);

  // Our retry policy is the only one in force, so the SDK makes exactly one attempt per call.
  const sts = options.stsClient ?? new STSClient({ region, maxAttempts: 1 });
  const command = new AssumeRoleWithWebIdentityCommand({
    RoleArn: roleArn,
    RoleSessionName: sessionName,
    WebIdentityToken: idToken,
    DurationSeconds: durationSeconds,
  });

  const startedAt = runtime.clock.now();
  const policy = { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs, maxDelayMs };
  // Which errors are worth another try, and for how long, is decided here; the loop is shared.
  const onFailure = (error: unknown, attempt: number, backoff: () => number): number => {
    if (error instanceof CredentialsError) throw error;
    const reason = describeError(error, [idToken]);
    if (!isTransientStsError(error)) {
      const headline = `Could not assume role ${roleArn}: ${reason}`;
      // A trust-policy or provider refusal names the claims to fix; the token itself stays out of it.
      throw new CredentialsError(oidcTrustDiagnostic({ error, headline, roleArn, idToken }) ?? headline);
    }
    const delayMs = backoff();
    const elapsedMs = runtime.clock.now() - startedAt;
    if (elapsedMs + delayMs > budgetMs) {
      const spent = `${attempt} attempt(s) in ${Math.round(elapsedMs / 1000)}s`;
      throw new CredentialsError(`Could not assume role ${roleArn}: gave up after ${spent}: ${reason}`);
    }
    runtime.logger.warning(
      `AssumeRoleWithWebIdentity attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms.`,
    );
    return delayMs;
  };
  return retrying(
    async () => {
      const response = await sts.send(command);
      const credentials = response.Credentials;
      const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
      if (!AccessKeyId || !SecretAccessKey || !SessionToken || !Expiration) {
        throw new CredentialsError(`Could not assume role ${roleArn}: STS returned no complete credentials.`);
      }
      // The key id is masked too, as configure-aws-credentials does: it identifies the session.
      onSecret(AccessKeyId);
      onSecret(SecretAccessKey);
      onSecret(SessionToken);
      runtime.logger.info(`Assumed role ${roleArn} (session ${sessionName}, expires ${Expiration.toISOString()}).`);
      const assumed = { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
      return { ...assumed, expiration: Expiration };
    },
    { policy, runtime, onFailure },
  );
}
