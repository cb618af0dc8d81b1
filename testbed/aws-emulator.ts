/**
 * A local emulator of the AWS pieces ecr-publish talks to: the GitHub OIDC token endpoint, STS (query
 * protocol), private ECR and ECR Public (JSON 1.1). The real SDK clients reach it through
 * AWS_ENDPOINT_URL_STS / _ECR / _ECR_PUBLIC. Requests are SigV4-verified and checked against the
 * documented IAM policy (docs/iam-policy.json); images live in real loopback registries.
 */
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AwsError,
  parseJsonBody,
  readBody,
  sendJson,
  sendJsonError,
  sendStsError,
  sendXml,
} from './aws-emulator/http.js';
import { parseAuthorization, verifySignature } from './aws-emulator/sigv4.js';
import {
  isAllowed,
  loadPolicyFile,
  parsePolicy,
  statements,
  type Placeholders,
  type PolicyDocument,
} from './aws-emulator/iam.js';
import { OidcIssuer } from './aws-emulator/oidc.js';
import { StsEmulator, type Principal } from './aws-emulator/sts.js';
import { RegistryBackend, type RegistryBackendConfig } from './aws-emulator/registry-backend.js';
import { ECR_TARGET_PREFIX, EcrEmulator } from './aws-emulator/ecr.js';
import { ECR_PUBLIC_REGION, ECR_PUBLIC_TARGET_PREFIX, EcrPublicEmulator } from './aws-emulator/ecr-public.js';

export type { PolicyDocument, PolicyStatement } from './aws-emulator/iam.js';
export type { IssuedCredentials, StsFault, Principal } from './aws-emulator/sts.js';
export type { RegistryBackendConfig } from './aws-emulator/registry-backend.js';
export type { EmulatedRepository, OperationFault } from './aws-emulator/repositories.js';
export type { RepositorySettings } from './aws-emulator/ecr.js';
export type { DeletedImage } from './aws-emulator/images.js';
export type {
  BasicFinding,
  EnhancedFinding,
  ScanSnapshot,
  ScanningConfiguration,
  ScanningRule,
  Severity,
} from './aws-emulator/scan.js';
export type { OidcIssuer } from './aws-emulator/oidc.js';
export type { StsEmulator } from './aws-emulator/sts.js';
export type { EcrEmulator } from './aws-emulator/ecr.js';
export type { EcrPublicEmulator } from './aws-emulator/ecr-public.js';

export const IAM_POLICY_PATH = join(repoRoot(), 'docs', 'iam-policy.json');
export const TRUST_POLICY_PATH = join(repoRoot(), 'docs', 'trust-policy.json');

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Defaults to an IAM user of the emulated account. */
  arn?: string;
}

export interface AwsEmulatorOptions {
  /** Default 123456789012. */
  accountId?: string;
  /** Region of private ECR; default us-west-2. */
  region?: string;
  /** The only role that can be assumed; default `arn:aws:iam::<account>:role/ecr-publish`. */
  roleArn?: string;
  /** `org/repo` of the workflow, substituted into the trust policy; default `example-org/example-repo`. */
  githubRepository?: string;
  /** The `sub` claim of issued tokens; default `repo:<githubRepository>:ref:refs/heads/main`. */
  oidcSubject?: string;
  /** The job's environment: tokens carry an `environment` claim, and the default `sub` is GitHub's `repo:<repo>:environment:<name>`. */
  oidcEnvironment?: string;
  /** Audience the OIDC provider accepts; default sts.amazonaws.com. */
  audience?: string;
  oidcTokenLifetimeSeconds?: number;
  /** The role's MaxSessionDuration; default 3600. */
  maxSessionDurationSeconds?: number;
  /** Replaces docs/iam-policy.json (placeholders like `${AccountId}` are substituted). */
  permissionsPolicy?: PolicyDocument | string;
  /** Replaces docs/trust-policy.json. */
  trustPolicy?: PolicyDocument | string;
  /** Long-lived keys for the default-credential-chain path. */
  staticCredentials?: StaticCredentials[];
  /** Real registries that hold the images; without one, image operations fail. */
  registries?: { private?: RegistryBackendConfig; public?: RegistryBackendConfig };
  /** ECR Public registry alias; default paketo-buildpacks. */
  publicAlias?: string;
  /** Epoch milliseconds; drives token expiry and the 24 h scan quota. */
  now?: () => number;
}

export interface RecordedCall {
  service: 'oidc' | 'sts' | 'ecr' | 'ecr-public';
  operation: string;
  params: Record<string, unknown>;
  /** ARN of the caller, when the request was signed by a known key. */
  principal?: string;
  /** Region of the signature scope. */
  region?: string;
  /** False when authentication or the IAM policy refused the call. */
  allowed: boolean;
  /** The error code answered, if any. */
  errorCode?: string;
}

export interface AwsEmulator {
  endpoint: string;
  accountId: string;
  region: string;
  roleArn: string;
  audience: string;
  readonly calls: RecordedCall[];
  oidc: OidcIssuer;
  sts: StsEmulator;
  ecr: EcrEmulator;
  ecrPublic: EcrPublicEmulator;
  /** Environment for code under test: endpoints, OIDC request URL and token, region. */
  env(): Record<string, string>;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of a configured static principal (the first by default). */
  staticCredentialsEnv(accessKeyId?: string): Record<string, string>;
  setPermissionsPolicy(policy: PolicyDocument | string): void;
  /** Every secret the emulator handed out or holds: OIDC tokens, secret keys, session tokens, registry passwords. */
  secrets(): string[];
  close(): Promise<void>;
}

const DEFAULT_AUDIENCE = 'sts.amazonaws.com';

function toPolicy(policy: PolicyDocument | string, placeholders: Placeholders, what: string): PolicyDocument {
  return parsePolicy(typeof policy === 'string' ? policy : JSON.stringify(policy), placeholders, what);
}

/** Points the trust policy's audience condition at a non-default audience. */
function withAudience(document: PolicyDocument, audience: string): PolicyDocument {
  for (const statement of statements(document)) {
    for (const keys of Object.values(statement.Condition ?? {})) {
      for (const key of Object.keys(keys)) if (key.endsWith(':aud')) keys[key] = audience;
    }
  }
  return document;
}

function redactParams(service: RecordedCall['service'], params: Record<string, unknown>): Record<string, unknown> {
  if (service === 'sts' && typeof params.WebIdentityToken === 'string')
    return { ...params, WebIdentityToken: '<redacted>' };
  return params;
}

export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-west-2';
  const roleArn = options.roleArn ?? `arn:aws:iam::${accountId}:role/ecr-publish`;
  const githubRepository = options.githubRepository ?? 'example-org/example-repo';
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const now = options.now ?? (() => Date.now());
  const [githubOrg = '', githubRepo = ''] = githubRepository.split('/');
  const placeholders: Placeholders = {
    AccountId: accountId,
    Region: region,
    GitHubOrg: githubOrg,
    GitHubRepo: githubRepo,
  };

  let permissionsPolicy =
    options.permissionsPolicy === undefined
      ? loadPolicyFile(IAM_POLICY_PATH, placeholders)
      : toPolicy(options.permissionsPolicy, placeholders, 'permissionsPolicy option');
  let trustPolicy =
    options.trustPolicy === undefined
      ? loadPolicyFile(TRUST_POLICY_PATH, placeholders)
      : toPolicy(options.trustPolicy, placeholders, 'trustPolicy option');
  if (audience !== DEFAULT_AUDIENCE) trustPolicy = withAudience(trustPolicy, audience);

  const subjectContext =
    options.oidcEnvironment === undefined ? 'ref:refs/heads/main' : `environment:${options.oidcEnvironment}`;
  const oidc = new OidcIssuer({
    repository: githubRepository,
    subject: options.oidcSubject ?? `repo:${githubRepository}:${subjectContext}`,
    ...(options.oidcEnvironment === undefined ? {} : { environment: options.oidcEnvironment }),
    now,
    lifetimeSeconds: options.oidcTokenLifetimeSeconds ?? 300,
  });
  const sts = new StsEmulator(
    {
      accountId,
      roleArn,
      audience,
      maxSessionDurationSeconds: options.maxSessionDurationSeconds ?? 3600,
      trustPolicy,
      now,
    },
    oidc,
  );
  for (const credentials of options.staticCredentials ?? []) {
    sts.addPrincipal({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      arn: credentials.arn ?? `arn:aws:iam::${accountId}:user/ecr-publish-ci`,
    });
  }
  const privateBackend =
    options.registries?.private === undefined ? undefined : new RegistryBackend(options.registries.private);
  const publicBackend =
    options.registries?.public === undefined ? undefined : new RegistryBackend(options.registries.public);
  const ecr = new EcrEmulator({ accountId, region, backend: privateBackend, now });
  const ecrPublic = new EcrPublicEmulator({
    accountId,
    alias: options.publicAlias ?? 'paketo-buildpacks',
    backend: publicBackend,
    now,
  });
  const calls: RecordedCall[] = [];

  /** Finds and checks the signer; undefined for an unsigned request. */
  function authenticate(
    request: IncomingMessage,
    body: Buffer,
    expectedService: string,
  ): { principal: Principal; region: string } | undefined {
    const scope = parseAuthorization(request.headers.authorization);
    if (scope === undefined) return undefined;
    const principal = sts.principals.get(scope.accessKeyId);
    if (principal === undefined)
      throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
    if (principal.sessionToken !== undefined && request.headers['x-amz-security-token'] !== principal.sessionToken) {
      throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= now()) {
      throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired', 403);
    }
    if (scope.service !== expectedService) {
      throw new AwsError(
        'InvalidSignatureException',
        `Credential should be scoped to correct service: '${expectedService}'.`,
        403,
      );
    }
    verifySignature(request, body, scope, principal.secretAccessKey);
    return { principal, region: scope.region };
  }

  function authorizer(call: RecordedCall, principal: Principal): (action: string, resource: string) => void {
    const deny = (action: string, resource: string, policy: 'identity' | 'resource') => {
      call.allowed = false;
      return new AwsError(
        'AccessDeniedException',
        `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no ${policy}-based policy allows the ${action} action`,
      );
    };
    return (action, resource) => {
      if (!isAllowed(permissionsPolicy, action, resource)) throw deny(action, resource, 'identity');
      // Another account's resource also needs that account's resource policy; the emulator holds none, as for a
      // registry that granted nothing (AWS checks this before telling whether the repository exists).
      const owner = /^arn:[\w-]+:ecr(?:-public)?:[\w-]*:(\d{12}):/.exec(resource)?.[1];
      if (owner !== undefined && owner !== accountId) throw deny(action, resource, 'resource');
    };
  }

  async function handleJson(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    target: string,
  ): Promise<void> {
    const isPublic = target.startsWith(ECR_PUBLIC_TARGET_PREFIX);
    const service: RecordedCall['service'] = isPublic ? 'ecr-public' : 'ecr';
    const operation = target.slice((isPublic ? ECR_PUBLIC_TARGET_PREFIX : ECR_TARGET_PREFIX).length);
    const call: RecordedCall = { service, operation, params: {}, allowed: true };
    calls.push(call);
    try {
      call.params = parseJsonBody(body);
      const caller = authenticate(request, body, service);
      if (caller === undefined)
        throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      call.principal = caller.principal.arn;
      call.region = caller.region;
      if (isPublic && caller.region !== ECR_PUBLIC_REGION) {
        throw new AwsError('UnsupportedCommandException', 'The action is not supported in this Region.');
      }
      if (!isPublic && caller.region !== region) {
        throw new AwsError(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region. The emulator serves ECR in ${region}, not '${caller.region}'.`,
          403,
        );
      }
      const authorize = authorizer(call, caller.principal);
      const result = isPublic
        ? await ecrPublic.handle(operation, call.params, authorize)
        : await ecr.handle(operation, call.params, authorize);
      sendJson(response, 200, result);
    } catch (error) {
      const awsError =
        error instanceof AwsError
          ? error
          : new AwsError('ServerException', `Emulator failure: ${(error as Error).message}`, 500);
      if (awsError.status === 403) call.allowed = false;
      call.errorCode = awsError.code;
      sendJsonError(response, awsError);
    }
  }

  function handleSts(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const params = new URLSearchParams(body.toString('utf8'));
    const call: RecordedCall = {
      service: 'sts',
      operation: params.get('Action') ?? '',
      params: redactParams('sts', Object.fromEntries(params)),
      allowed: true,
    };
    calls.push(call);
    try {
      const caller = authenticate(request, body, 'sts');
      if (caller !== undefined) {
        call.principal = caller.principal.arn;
        call.region = caller.region;
      }
      const { xml } = sts.handle(params, caller?.principal);
      sendXml(response, 200, xml);
    } catch (error) {
      const awsError =
        error instanceof AwsError
          ? error
          : new AwsError('InternalFailure', `Emulator failure: ${(error as Error).message}`, 500);
      if (awsError.code === 'AccessDenied' || awsError.status === 403) call.allowed = false;
      call.errorCode = awsError.code;
      sendStsError(response, awsError);
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://emulator');
    if (request.method === 'GET' && url.pathname === '/oidc/token') {
      const call: RecordedCall = {
        service: 'oidc',
        operation: 'GetIDToken',
        params: { audience: url.searchParams.get('audience') },
        allowed: true,
      };
      calls.push(call);
      oidc.handle(request, response, url);
      if (response.statusCode !== 200) {
        call.allowed = false;
        call.errorCode = String(response.statusCode);
      }
      return;
    }
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    if (
      typeof target === 'string' &&
      (target.startsWith(ECR_TARGET_PREFIX) || target.startsWith(ECR_PUBLIC_TARGET_PREFIX))
    ) {
      await handleJson(request, response, body, target);
      return;
    }
    if (
      request.method === 'POST' &&
      (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ) {
      handleSts(request, response, body);
      return;
    }
    sendJsonError(
      response,
      new AwsError(
        'UnknownOperationException',
        `No emulated service answers ${request.method ?? ''} ${url.pathname} (X-Amz-Target: ${String(target)})`,
        404,
      ),
    );
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJsonError(response, new AwsError('ServerException', `Emulator failure: ${(error as Error).message}`, 500));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    accountId,
    region,
    roleArn,
    audience,
    calls,
    oidc,
    sts,
    ecr,
    ecrPublic,
    env: () => ({
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_ECR: endpoint,
      AWS_ENDPOINT_URL_ECR_PUBLIC: endpoint,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoint}/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      AWS_REGION: region,
      // Keeps the SDK's default credential chain from probing instance metadata.
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    staticCredentialsEnv: (accessKeyId) => {
      const configured = options.staticCredentials ?? [];
      const credentials =
        accessKeyId === undefined ? configured[0] : configured.find((c) => c.accessKeyId === accessKeyId);
      if (credentials === undefined)
        throw new Error(`no static credentials ${accessKeyId ?? ''} configured in the emulator`);
      return { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
    },
    setPermissionsPolicy: (policy) => {
      permissionsPolicy = toPolicy(policy, placeholders, 'permissions policy');
    },
    secrets: () => [
      oidc.requestToken,
      ...oidc.issuedTokens,
      ...sts.issuedCredentials.flatMap((c) => [c.secretAccessKey, c.sessionToken]),
      ...(options.staticCredentials ?? []).map((c) => c.secretAccessKey),
      ...[options.registries?.private?.password, options.registries?.public?.password].filter(
        (p): p is string => p !== undefined,
      ),
    ],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
