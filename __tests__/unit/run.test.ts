/** run() in-process, as the runner drives it: INPUT_* variables in, outputs, summary, log lines and exit code out. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { run } from '../../src/action/run.js';
import { actionEnv, captureStdout } from '../support/action-env.js';

describe('run()', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('writes the plan outputs and summary in a dry run, contacting nothing', async () => {
    env.setInputs({
      images: 'docker.io/paketobuildpacks/builder-jammy-base:0.3.13\ndocker.io/paketobuildpacks/run-jammy-base:0.1.2',
      'public-registry-alias': 'paketo-buildpacks',
      'dry-run': 'true',
    });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode ?? 0).toBe(0);
    expect(stdout).not.toContain('::error::');
    // In input order, as written.
    const plan = [
      { source: 'docker.io/paketobuildpacks/builder-jammy-base:0.3.13', repository: 'builder-jammy-base', tags: ['0.3.13', 'latest'] },
      { source: 'docker.io/paketobuildpacks/run-jammy-base:0.1.2', repository: 'run-jammy-base', tags: ['0.1.2', 'latest'] },
    ];
    const outputs = env.outputs();
    expect(JSON.parse(outputs.images!)).toEqual(plan);
    expect(JSON.parse(outputs.plan!)).toEqual({ include: plan });
    expect(outputs.digest).toBeUndefined();
    expect(env.summary()).toContain('<h3>ecr-publish plan (dry run)</h3>');
    for (const entry of plan) expect(stdout).toContain(`would publish ${entry.source} → ${entry.repository} [${entry.tags.join(', ')}]`);
  });

  it('fails a bad input with one error line and exit code 1, writing no outputs', async () => {
    env.setInputs({ images: 'docker.io/paketobuildpacks/run-jammy-base:0.1.2', 'registry-type': 'privat', 'dry-run': 'true' });
    const { stdout } = await captureStdout(() => run());
    expect(process.exitCode).toBe(1);
    const errors = stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::Input "registry-type": /);
    expect(env.outputs()).toEqual({});
    expect(env.summary()).toBe('');
  });
});
