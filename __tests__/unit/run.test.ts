/** run() in-process, as the runner drives it: INPUT_* variables in, outputs, summary, log lines and exit code out. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { run } from '../../src/action/run.js';
import { BUILDER_SOURCE, RUN_SOURCE } from '../fixtures/reports.js';
import { actionEnv, captureStdout } from '../support/action-env.js';

describe('run()', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('writes the plan outputs and summary in a dry run, contacting nothing', async () => {
    env.setInputs({
      images: `${BUILDER_SOURCE}\n${RUN_SOURCE}`,
      'public-registry-alias': 'paketo-buildpacks',
      'dry-run': 'true',
    });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode ?? 0).toBe(0);
    expect(stdout).not.toContain('::error::');
    // In input order, as written.
    const plan = [
      { source: BUILDER_SOURCE, repository: 'builder-jammy-base', tags: ['0.3.13', 'latest'] },
      { source: RUN_SOURCE, repository: 'run-jammy-base', tags: ['0.1.2', 'latest'] },
    ];
    const outputs = env.outputs();
    expect(JSON.parse(outputs.images!)).toEqual(plan);
    expect(JSON.parse(outputs.plan!)).toEqual({ include: plan });
    expect(outputs.digest).toBeUndefined();
    expect(env.summary()).toContain('### ecr-publish plan (dry run)');
    for (const { source, repository, tags } of plan) {
      expect(stdout).toContain(`would publish ${source} → ${repository} [${tags.join(', ')}]`);
    }
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
