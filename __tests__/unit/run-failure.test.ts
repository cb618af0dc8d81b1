/** How run() reports a failure: one ::error:: line, detail lines after it, and no detail line read as a command. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { reportFailure } from '../../src/action/run.js';
import { actionEnv, captureStdout } from '../support/action-env.js';

describe('reportFailure', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('annotates the first line only and prints the detail lines after it, as they are', async () => {
    const { stdout } = await captureStdout(async () => reportFailure('It failed: why.\n  claim: "x"\nmore: 100%'));
    expect(stdout.split('\n')).toEqual(['::error::It failed: why.', '  claim: "x"', 'more: 100%', '']);
    expect(process.exitCode).toBe(1);
  });

  it('keeps a one-line message one line', async () => {
    const { stdout } = await captureStdout(async () => reportFailure('Input "x": bad'));
    expect(stdout).toBe('::error::Input "x": bad\n');
  });

  it.each([['\n::add-mask::x'], ['\n  ::set-output name=a::b'], ['\nsee ##[add-mask]x'], ['\r::error::x']])(
    'keeps details that could be read as workflow commands inside the escaped annotation: %j',
    async (details) => {
      const { stdout } = await captureStdout(async () => reportFailure(`It failed.${details}`));
      expect(stdout.split('\n').filter((line) => line !== '')).toHaveLength(1);
      expect(stdout).toMatch(/^::error::It failed\.%0[AD]/);
    },
  );
});
