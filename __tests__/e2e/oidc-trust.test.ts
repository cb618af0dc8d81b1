/** Issue 14 part 2, end to end: a trust policy that refuses this job's token names the claims to fix, never the token. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '../../testbed/aws-emulator.js';
import { repoRoot } from '../../testbed/repo-root.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const PROVIDER = 'token.actions.githubusercontent.com';

/** The documented trust policy, narrowed to the main branch: a job in the `prod` environment has another sub. */
const MAIN_BRANCH_ONLY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::\${AccountId}:oidc-provider/${PROVIDER}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${PROVIDER}:aud`]: 'sts.amazonaws.com',
          [`${PROVIDER}:sub`]: 'repo:${GitHubOrg}/${GitHubRepo}:ref:refs/heads/main',
        },
      },
    },
  ],
};

describe('end to end: a role whose trust policy does not match the job', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ aws: { oidcEnvironment: 'prod', trustPolicy: MAIN_BRANCH_ONLY } });
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  const run = (extra: Record<string, string> = {}): Promise<ActionRun> =>
    world.runAction({
      images: `${world.hub.host}/example/app:1.0.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      ...extra,
    });

  /** What a reader of the log sees: everything but the `::add-mask::` commands, which the runner never shows. */
  const shown = (result: ActionRun): string =>
    [...result.printed.split('\n').filter((l) => !l.startsWith('::add-mask::')), result.summary].join('\n');

  /** Runs the action and checks that the tokens it was issued appear only in `::add-mask::` commands. */
  async function runShowingNoToken(extra: Record<string, string> = {}): Promise<ActionRun> {
    const issuedBefore = world.aws.oidc.issuedTokens.length;
    const result = await run(extra);
    const tokens = world.aws.oidc.issuedTokens.slice(issuedBefore);
    expect(tokens).toHaveLength(1);
    for (const token of tokens) {
      expect(result.stdout).toContain(`::add-mask::${token}`);
      // Neither the token nor its signature (nor its raw payload) is shown anywhere.
      for (const part of [token, ...token.split('.').slice(1)]) expect(shown(result)).not.toContain(part);
    }
    return result;
  }

  it('fails with one error line naming the role and the sub, then each claim and the condition that would match', async () => {
    const start = world.aws.calls.length;
    const result = await runShowingNoToken();
    expect(result.code).not.toBe(0);
    const lines = result.stdout.split('\n');
    const errors = lines.filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error::Could not assume role ${world.aws.roleArn}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity. ` +
        `The role's trust policy does not allow this job's token (sub "repo:example-org/example-repo:environment:prod", aud "sts.amazonaws.com"); details follow in the log.`,
    ]);
    const details = lines.slice(lines.indexOf(errors[0]!) + 1);
    const workflow = '"example-org/example-repo/.github/workflows/release.yml@refs/heads/main"';
    expect(details).toEqual(
      expect.arrayContaining([
        '  sub:              "repo:example-org/example-repo:environment:prod"',
        '  aud:              "sts.amazonaws.com"',
        '  repository:       "example-org/example-repo"',
        '  ref:              "refs/heads/main"',
        '  environment:      "prod"',
        `  job_workflow_ref: ${workflow}`,
        'This job runs in environment "prod", so its sub names the environment, not the branch or tag.',
        `      "${PROVIDER}:aud": "sts.amazonaws.com",`,
        `      "${PROVIDER}:sub": "repo:example-org/example-repo:environment:prod"`,
        `  "StringLike": { "${PROVIDER}:sub": "repo:example-org/example-repo:*" }`,
      ]),
    );
    // The README's troubleshooting example is this very output, as the log shows it.
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const example = /### `Not authorized to perform sts:AssumeRoleWithWebIdentity`[\s\S]*?```text\n([\s\S]*?)```/.exec(
      readme,
    );
    expect(example?.[1]?.replace(/^Error: /, '::error::').trimEnd()).toBe(
      lines.slice(lines.indexOf(errors[0]!)).join('\n').trimEnd(),
    );
    // Refused at the first call: nothing else was asked of AWS, so nothing was written.
    const services = world.aws.calls.slice(start).map((c) => `${c.service} ${c.operation} ${c.errorCode ?? ''}`);
    expect(services).toEqual(['oidc GetIDToken ', 'sts AssumeRoleWithWebIdentity AccessDenied']);
    expect(world.aws.ecr.repositories.size).toBe(0);
  }, 120_000);

  it('on InvalidIdentityToken (an audience the provider does not list) points at the provider, with the claims', async () => {
    const result = await runShowingNoToken({ audience: 'not-the-provider-audience' });
    expect(result.code).not.toBe(0);
    const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('InvalidIdentityToken');
    expect(errors[0]).toContain(
      `STS did not accept this job's token (sub "repo:example-org/example-repo:environment:prod", aud "not-the-provider-audience"): ` +
        `the role's account needs the IAM OIDC provider ${PROVIDER} listing that audience`,
    );
    expect(result.stdout).toContain('  aud:              "not-the-provider-audience"');
  }, 120_000);
});
