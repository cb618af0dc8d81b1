/** The one-line errors of a first run that name the next step: credentials, AccessDenied on ECR, a spent pull quota. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ECRServiceException } from '@aws-sdk/client-ecr';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callerAccountOf, repositoryAccessDenied } from '../../src/aws/access-denied.js';
import { CredentialsError, defaultChainCredentials, NO_CREDENTIALS_MESSAGE } from '../../src/aws/credentials.js';
import { sourceFailureAdvice } from '../../src/publish/source-advice.js';
import { repoRoot } from '../../testbed/repo-root.js';

describe('defaultChainCredentials (no role-to-assume)', () => {
  const saved = { ...process.env };
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'no-aws-'));
    // Nothing the chain could find: no keys, no files, no web identity, no container or instance role.
    const credentialVariables = /^AWS_(?!SDK_JS_)/; // keeps quiet.ts's switch for the SDK's own warnings
    for (const name of Object.keys(process.env)) if (credentialVariables.test(name)) delete process.env[name];
    Object.assign(process.env, {
      HOME: home,
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(home, { recursive: true, force: true });
  });

  it('no credentials anywhere: the error names role-to-assume, id-token: write and a credentials step', async () => {
    const failure = defaultChainCredentials('us-east-1');
    await expect(failure).rejects.toBeInstanceOf(CredentialsError);
    await expect(failure).rejects.toThrow(NO_CREDENTIALS_MESSAGE);
    expect(NO_CREDENTIALS_MESSAGE).toMatch(/role-to-assume.*id-token: write.*aws-actions\/configure-aws-credentials/);
  });

  it("the README's troubleshooting quotes the message as it is", () => {
    expect(readFileSync(join(repoRoot(), 'README.md'), 'utf8')).toContain(`\`${NO_CREDENTIALS_MESSAGE}\``);
  });

  it('keys in the environment (a configure-aws-credentials step): a provider the SDK can keep using', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-example';
    const provider = await defaultChainCredentials('us-east-1');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-example' });
  });

  it('credentials the environment names but that cannot be read: says so, and what to fix', async () => {
    process.env.AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/ci';
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE = join(home, 'missing-token');
    await expect(defaultChainCredentials('us-east-1')).rejects.toThrow(
      /^Could not load the AWS credentials of the environment \(.*missing-token.*\): fix the step that sets them, or set role-to-assume instead\.$/,
    );
  });
});

describe('repositoryAccessDenied', () => {
  const caller = 'arn:aws:sts::123456789012:assumed-role/ecr-publish/run-1';
  const denied = (account: string, policy: 'identity' | 'resource') =>
    new ECRServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `User: ${caller} is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:eu-west-1:${account}:repository/app because no ${policy}-based policy allows the ecr:DescribeRepositories action`,
    });
  const what = 'Could not describe ECR repository "app"';

  it('reads the caller account from the message', () => {
    expect(callerAccountOf(denied('1', 'identity').message)).toBe('123456789012');
    expect(callerAccountOf('User: arn:aws:iam::210987654321:user/ci is not authorized')).toBe('210987654321');
    expect(callerAccountOf('Access denied')).toBeUndefined();
  });

  it("the caller's own registry: the role's policy must allow the repository actions", () => {
    const line = repositoryAccessDenied(denied('123456789012', 'identity'), what, {
      registryId: undefined,
      region: 'eu-west-1',
    });
    expect(line).toContain("The role's policy must allow ecr:DescribeRepositories");
    expect(line).toContain('on arn:aws:ecr:eu-west-1:123456789012:repository/*');
    expect(line).not.toContain('another account');
    expect(line).not.toContain('\n');
  });

  it("another account, refused by this role's policy: both sides must allow", () => {
    const line = repositoryAccessDenied(denied('210987654321', 'identity'), what, {
      registryId: '210987654321',
      region: 'eu-west-1',
    });
    expect(line).toMatch(/^Could not describe ECR repository "app" in registry 210987654321 of another account: /);
    expect(line).toContain("this role's policy must allow ecr:DescribeRepositories");
    expect(line).toContain('on arn:aws:ecr:eu-west-1:210987654321:repository/*, and account 210987654321 must grant');
    expect(line).toContain('repository policy of each repository');
  });

  it("another account, refused by its repository policy: only that account's side is named", () => {
    const line = repositoryAccessDenied(denied('210987654321', 'resource'), what, {
      registryId: '210987654321',
      region: 'eu-west-1',
    });
    expect(line).toContain('To publish there, account 210987654321 must grant this role ecr:DescribeRepositories');
    expect(line).not.toContain("this role's policy must allow");
  });

  it('any other error is left alone', () => {
    const other = new ECRServiceException({
      name: 'ServerException',
      $fault: 'server',
      $metadata: {},
      message: 'x',
    });
    expect(repositoryAccessDenied(other, what, { registryId: undefined, region: 'eu-west-1' })).toBeUndefined();
  });
});

describe('sourceFailureAdvice', () => {
  it('only a 429 gets advice', () => {
    const advice = sourceFailureAdvice('registry-1.docker.io', { sourceRegistry: 'docker.io', loggedIn: false });
    expect(advice(404)).toBeUndefined();
    expect(advice(503)).toBeUndefined();
  });

  it('anonymous on Docker Hub: give source-username and source-password (source-registry already covers it)', () => {
    const advice = sourceFailureAdvice('registry-1.docker.io', { sourceRegistry: 'docker.io', loggedIn: false });
    expect(advice(429)).toBe(
      'the pull rate limit of registry-1.docker.io is spent; anonymous pulls are limited per IP address (hosted ' +
        'runners share theirs): give source-username and source-password (for Docker Hub, an access token) so pulls ' +
        'count against an account',
    );
  });

  it('anonymous on a host source-registry does not name: says to point source-registry at it', () => {
    const advice = sourceFailureAdvice('quay.io', { sourceRegistry: 'docker.io', loggedIn: false });
    expect(advice(429)).toContain('give source-username and source-password with source-registry: quay.io');
  });

  it('logged in: the account itself is out of pulls', () => {
    const advice = sourceFailureAdvice('registry-1.docker.io', { sourceRegistry: 'docker.io', loggedIn: true });
    expect(advice(429)).toContain('the pull rate limit of the source-username account on registry-1.docker.io');
    expect(advice(429)).not.toContain('give source-username');
  });
});
