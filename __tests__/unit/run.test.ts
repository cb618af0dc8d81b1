/** run() in-process, as the runner drives it: INPUT_* variables in, outputs, summary, log lines and exit code out. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { run } from '../../src/action/run.js';
import {
  BUILDER_SOURCE,
  PRERELEASE_SOURCE,
  PRIVATE_REGISTRY,
  PUBLIC_REGISTRY,
  RUN_SOURCE,
} from '../fixtures/reports.js';
import { actionEnv, captureStdout } from '../support/action-env.js';

describe('run()', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('writes the plan outputs and summary in a dry run, contacting nothing', async () => {
    env.setInputs({
      images: `${BUILDER_SOURCE}\n${RUN_SOURCE}\n${PRERELEASE_SOURCE}`,
      'public-registry-alias': 'paketo-buildpacks',
      'dry-run': 'true',
    });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode ?? 0).toBe(0);
    expect(stdout).not.toContain('::error::');
    const held = '4.13.1-rc.1 is a pre-release; moving tags follow releases only';
    // In input order, as written; the pre-release moves no moving tag, as in the real run.
    const plan = [
      { source: BUILDER_SOURCE, repository: 'builder-jammy-base', tags: ['0.3.13', 'latest'], heldBack: [] },
      { source: RUN_SOURCE, repository: 'run-jammy-base', tags: ['0.1.2', 'latest'], heldBack: [] },
      {
        source: PRERELEASE_SOURCE,
        repository: 'go',
        tags: ['4.13.1-rc.1'],
        heldBack: [{ tag: 'latest', reason: held }],
      },
    ].map((entry) => ({ ...entry, images: entry.source, destination: `${PUBLIC_REGISTRY}/${entry.repository}` }));
    const outputs = env.outputs();
    expect(JSON.parse(outputs.images!)).toEqual(plan);
    expect(JSON.parse(outputs.plan!)).toEqual({ include: plan });
    expect(outputs.registry).toBe(PUBLIC_REGISTRY);
    expect(outputs.digest).toBeUndefined();
    expect(env.summary()).toContain('### ecr-publish plan (dry run)');
    for (const { source, destination, tags } of plan.slice(0, 2))
      expect(stdout).toContain(`would publish ${source} → ${destination} [${tags.join(', ')}]\n`);
    expect(stdout).toContain(
      `would publish ${PRERELEASE_SOURCE} → ${PUBLIC_REGISTRY}/go [4.13.1-rc.1], not moving latest: ${held}\n`,
    );
    expect(stdout).toContain(
      `  - Run-image mirror (auto): ${PUBLIC_REGISTRY}/builder-jammy-base (a builder by its name) gets, as a mirror, the ECR copy`,
    );
  });

  it('names the private registry from registry-id and aws-region, and says what promote-tags without a gate does', async () => {
    env.setInputs({
      images: RUN_SOURCE,
      'registry-type': 'private',
      'registry-id': '123456789012',
      'aws-region': 'eu-west-1',
      'repository-prefix': 'buildpacks/',
      'promote-tags': 'prod',
      'dry-run': 'true',
    });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode ?? 0).toBe(0);
    const outputs = env.outputs();
    expect(outputs.registry).toBe(PRIVATE_REGISTRY);
    expect(JSON.parse(outputs.plan!).include[0].destination).toBe(`${PRIVATE_REGISTRY}/buildpacks/run-jammy-base`);
    const notice =
      'promote-tags: prod will be applied to every image once all are published, with no scan gate ' +
      '(scan-severity-threshold is NONE); set scan-severity-threshold to promote only what passes a scan';
    expect(stdout.split('\n')).toContain(`::notice::${notice}`);
    expect(stdout).toContain('  - Promotion: prod applied to every image once all are published, with no scan gate');
  });

  it('leaves the registry output unset when only AWS can name it (private, no registry-id)', async () => {
    env.setInputs({ images: RUN_SOURCE, 'registry-type': 'private', 'aws-region': 'eu-west-1', 'dry-run': 'true' });
    await captureStdout(() => run());
    const outputs = env.outputs();
    expect(outputs.registry).toBeUndefined();
    expect(JSON.parse(outputs.plan!).include[0]).not.toHaveProperty('destination');
  });

  it('fails a bad input with one error line and exit code 1, writing no outputs', async () => {
    env.setInputs({ images: RUN_SOURCE, 'registry-type': 'privat', 'dry-run': 'true' });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode).toBe(1);
    const errors = stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::Input "registry-type": /);
    expect(env.outputs()).toEqual({});
    expect(env.summary()).toBe('');
  });
});
