import { beforeEach, describe, expect, it } from '@jest/globals';
import { AssumeRoleWithWebIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  OIDC_UNAVAILABLE_MESSAGE,
  assumeRoleWithGitHubOidc,
  awsClientConfig,
  isTransientStsError,
  type AssumeRoleOptions,
} from '../../src/aws/credentials.js';
import type { Runtime } from '../../src/runtime.js';
import { capturingLogger, virtualRuntime } from '../support/runtime.js';

const ROLE = 'arn:aws:iam::123456789012:role/publisher';
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.oidc-token-body.signature';
const EXPIRATION = new Date('2030-01-01T00:00:00Z');

function stsError(name: string, message: string, status = 400): STSServiceException {
  return new STSServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** Virtual time and a capturing logger, under the names these tests read. */
function fakeRuntime(random = 0) {
  const logger = capturingLogger();
  const runtime = virtualRuntime(logger, 1_000_000, random);
  return { ...runtime, sleeps: runtime.slept, lines: logger.messages };
}

const sts = mockClient(STSClient);

function options(runtime: Runtime, secrets: string[], overrides: Partial<AssumeRoleOptions> = {}): AssumeRoleOptions {
  return {
    roleArn: ROLE,
    audience: 'sts.amazonaws.com',
    sessionName: 'ecr-publish-42',
    durationSeconds: 3600,
    region: 'eu-west-1',
    getIdToken: async () => ID_TOKEN,
    idTokenAvailable: true,
    onSecret: (value) => {
      secrets.push(value);
    },
    runtime,
    stsClient: new STSClient({ region: 'eu-west-1', maxAttempts: 1 }),
    ...overrides,
  };
}

const goodResponse = {
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLE',
    SecretAccessKey: 'secret-key',
    SessionToken: 'session-token',
    Expiration: EXPIRATION,
  },
};

beforeEach(() => {
  sts.reset();
});

describe('assumeRoleWithGitHubOidc', () => {
  it('exchanges the OIDC token and masks every secret', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(goodResponse);
    const runtime = fakeRuntime();
    const secrets: string[] = [];
    const audiences: string[] = [];
    const credentials = await assumeRoleWithGitHubOidc(
      options(runtime, secrets, {
        audience: 'custom-aud',
        getIdToken: async (audience) => {
          audiences.push(audience);
          return ID_TOKEN;
        },
      }),
    );
    expect(credentials).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret-key',
      sessionToken: 'session-token',
      expiration: EXPIRATION,
    });
    expect(audiences).toEqual(['custom-aud']);
    expect(secrets).toEqual([ID_TOKEN, 'ASIAEXAMPLE', 'secret-key', 'session-token']);
    const calls = sts.commandCalls(AssumeRoleWithWebIdentityCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'ecr-publish-42',
      WebIdentityToken: ID_TOKEN,
      DurationSeconds: 3600,
    });
    expect(runtime.lines.join('\n')).not.toContain('secret-key');
    expect(runtime.lines.join('\n')).not.toContain(ID_TOKEN);
  });

  it('fails with the exact permission hint when the OIDC token is unavailable, contacting nothing', async () => {
    let asked = false;
    const promise = assumeRoleWithGitHubOidc(
      options(fakeRuntime(), [], {
        idTokenAvailable: false,
        getIdToken: async () => {
          asked = true;
          return ID_TOKEN;
        },
      }),
    );
    await expect(promise).rejects.toThrow(OIDC_UNAVAILABLE_MESSAGE);
    expect(OIDC_UNAVAILABLE_MESSAGE).toBe(
      'The OIDC token is not available: grant the workflow "permissions: id-token: write" to use role-to-assume.',
    );
    expect(asked).toBe(false);
    expect(sts.calls()).toHaveLength(0);
  });

  it('fails at once on AccessDenied, naming the role, the AWS message and the claims, but not the token', async () => {
    const claims = {
      sub: 'repo:o/r:environment:prod',
      aud: 'sts.amazonaws.com',
      repository: 'o/r',
      environment: 'prod',
    };
    const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .rejects(stsError('AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity with ${token}`, 403));
    const runtime = fakeRuntime();
    const error = await assumeRoleWithGitHubOidc(options(runtime, [], { getIdToken: async () => token })).then(
      () => new Error('expected a rejection'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const [first, ...details] = error.message.split('\n');
    expect(first).toBe(
      `Could not assume role ${ROLE}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity with ***. ` +
        `The role's trust policy does not allow this job's token (sub "repo:o/r:environment:prod", aud "sts.amazonaws.com"); details follow in the log.`,
    );
    expect(details).toContain('  environment:      "prod"');
    expect(details).toContain('      "token.actions.githubusercontent.com:sub": "repo:o/r:environment:prod"');
    for (const part of [token, ...token.split('.')]) expect(error.message).not.toContain(part);
    expect(runtime.sleeps).toEqual([]);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(1);
  });

  it('keeps other refusals to one line', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(stsError('ValidationError', 'bad session name'));
    const error = await assumeRoleWithGitHubOidc(options(fakeRuntime(), [])).then(
      () => new Error('expected a rejection'),
      (caught: unknown) => caught as Error,
    );
    expect(error.message).toBe(`Could not assume role ${ROLE}: ValidationError: bad session name`);
  });

  it('does not retry an InvalidIdentityToken that is not about the verification key', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(stsError('InvalidIdentityToken', 'Incorrect token audience'));
    const runtime = fakeRuntime();
    await expect(assumeRoleWithGitHubOidc(options(runtime, []))).rejects.toThrow(
      `Could not assume role ${ROLE}: InvalidIdentityToken: Incorrect token audience`,
    );
    expect(runtime.sleeps).toEqual([]);
  });

  it('retries transient errors with exponential backoff, then succeeds', async () => {
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .rejectsOnce(stsError('Throttling', 'Rate exceeded'))
      .rejectsOnce(stsError('IDPCommunicationError', 'IdP unreachable'))
      .rejectsOnce(stsError('InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider"))
      .rejectsOnce(stsError('InternalFailure', 'oops', 500))
      .resolves(goodResponse);
    const runtime = fakeRuntime(0);
    const secrets: string[] = [];
    const credentials = await assumeRoleWithGitHubOidc(options(runtime, secrets));
    expect(credentials.sessionToken).toBe('session-token');
    // random() = 0 gives the lower half of each ceiling: 1s, 2s, 4s, 8s ceilings.
    expect(runtime.sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(5);
    expect(secrets).toContain('secret-key');
  });

  it('jitters the waits with the injected random source and caps them', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(stsError('ThrottlingException', 'slow down'));
    const runtime = fakeRuntime(0.999999);
    await expect(
      assumeRoleWithGitHubOidc(options(runtime, [], { budgetMs: 40_000, baseDelayMs: 1_000, maxDelayMs: 8_000 })),
    ).rejects.toThrow(/gave up after \d+ attempt\(s\) in \d+s: ThrottlingException: slow down/);
    expect(runtime.sleeps.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 8000]);
    const total = runtime.sleeps.reduce((sum, ms) => sum + ms, 0);
    expect(total).toBeLessThanOrEqual(40_000);
  });

  it('stops within the total time budget', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).rejects(stsError('ServiceUnavailable', 'down', 503));
    const runtime = fakeRuntime(0.5);
    const error = await assumeRoleWithGitHubOidc(options(runtime, [], { budgetMs: 10_000 })).then(
      () => new Error('expected a rejection'),
      (caught: unknown) => caught as Error,
    );
    const total = runtime.sleeps.reduce((sum, ms) => sum + ms, 0);
    expect(total).toBeLessThanOrEqual(10_000);
    // 750 + 1500 + 3000 = 5250; the next wait (6000) would exceed the budget.
    expect(runtime.sleeps).toEqual([750, 1500, 3000]);
    expect(error.message).toBe(
      `Could not assume role ${ROLE}: gave up after 4 attempt(s) in 5s: ServiceUnavailable: down`,
    );
  });

  it('retries network errors', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    sts.on(AssumeRoleWithWebIdentityCommand).rejectsOnce(reset).resolves(goodResponse);
    const runtime = fakeRuntime(0);
    await expect(assumeRoleWithGitHubOidc(options(runtime, []))).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLE' });
    expect(runtime.sleeps).toEqual([500]);
  });

  it('reports a failure to obtain the OIDC token in one line', async () => {
    const promise = assumeRoleWithGitHubOidc(
      options(fakeRuntime(), [], {
        getIdToken: async () => {
          throw new Error('Failed to get ID Token.\nError Code : 500');
        },
      }),
    );
    await expect(promise).rejects.toThrow(
      'Could not get the GitHub OIDC token for audience "sts.amazonaws.com": Failed to get ID Token. Error Code : 500',
    );
    expect(sts.calls()).toHaveLength(0);
  });

  it('builds its own STS client for the region when none is injected', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(goodResponse);
    const withoutClient = options(fakeRuntime(), []);
    delete withoutClient.stsClient;
    await expect(assumeRoleWithGitHubOidc(withoutClient)).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLE' });
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(1);
  });

  it('rejects an incomplete STS response', async () => {
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({ Credentials: undefined });
    await expect(assumeRoleWithGitHubOidc(options(fakeRuntime(), []))).rejects.toThrow(
      'STS returned no complete credentials',
    );
  });
});

describe('isTransientStsError', () => {
  it.each([
    [stsError('Throttling', 'x'), true],
    [stsError('RequestLimitExceeded', 'x'), true],
    [stsError('IDPCommunicationError', 'x'), true],
    [stsError('InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider"), true],
    [stsError('InvalidIdentityToken', 'Token expired'), false],
    [stsError('AccessDenied', 'no', 403), false],
    [stsError('ValidationError', 'bad session name'), false],
    [stsError('Whatever', 'gateway', 502), true],
    [Object.assign(new Error('t'), { name: 'TimeoutError' }), true],
    [new Error('plain'), false],
    ['not an error', false],
  ])('classifies %p as transient=%p', (error, expected) => {
    expect(isTransientStsError(error)).toBe(expected);
  });
});

describe('awsClientConfig', () => {
  it('adds credentials only when given', () => {
    expect(awsClientConfig('us-west-2')).toEqual({ region: 'us-west-2' });
    expect('credentials' in awsClientConfig('us-west-2')).toBe(false);
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
    expect(awsClientConfig('us-west-2', credentials)).toEqual({ region: 'us-west-2', credentials });
  });
});
