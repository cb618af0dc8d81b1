/** testbed/runner-log.ts: what @actions/core really writes (stdout, job summary) rendered for a terminal. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as core from '@actions/core';
import { writeSummary } from '../../src/action/summary.js';
import { renderRunnerLog, summaryAsText } from '../../testbed/runner-log.js';
import { actionEnv, captureStdout } from '../support/action-env.js';
import {
  BUILDER_SOURCE,
  PRIVATE_REGISTRY,
  PUBLIC_REGISTRY,
  privateGatedRelease,
  publicRelease,
} from '../fixtures/reports.js';

describe('renderRunnerLog', () => {
  it('turns what @actions/core printed into headings, indented group lines and `level: message` lines', async () => {
    const { stdout } = await captureStdout(async () => {
      core.startGroup('AWS credentials');
      core.setSecret('hunter2');
      core.info('Assumed role arn:aws:iam::123456789012:role/ecr-publish');
      core.debug('token hunter2 cached');
      core.endGroup();
      core.notice('a plain notice');
      core.warning('quota at 50%\nsecond line, 100%25 literal', { file: 'src/a.ts', startLine: 3, startColumn: 7 });
      core.error('Scan gate failed: 1 image(s)', { title: 'ecr-publish, gate' });
      core.info('after the group');
      return Promise.resolve();
    });
    expect(stdout).toContain('::group::');
    expect(renderRunnerLog(stdout).split('\n')).toEqual([
      '▸ AWS credentials',
      '  Assumed role arn:aws:iam::123456789012:role/ecr-publish',
      'notice: a plain notice',
      'warning: src/a.ts:3:7: quota at 50%',
      '         second line, 100%25 literal',
      'error: ecr-publish, gate: Scan gate failed: 1 image(s)',
      'after the group',
    ]);
  });

  it('decodes escapes in one pass, keeps CRLF logs apart, and prints stopped commands literally', () => {
    const log = [
      '::warning::100%250A is not a newline%0D%0Abut this was',
      '::stop-commands::pause-1',
      '::error::not an annotation while stopped',
      '::pause-1::',
      '::error file=a%3Ab%2Cc.ts::resumed',
      '::unknown-command::shown as is',
      '',
    ].join('\r\n');
    expect(renderRunnerLog(log).split('\n')).toEqual([
      'warning: 100%0A is not a newline',
      '         but this was',
      '::error::not an annotation while stopped',
      'error: a:b,c.ts: resumed',
      '::unknown-command::shown as is',
    ]);
  });
});

describe('summaryAsText', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('renders the real job summary: headings, one line per table row, details indented, no run-together lines', async () => {
    await writeSummary(publicRelease());
    const lines = summaryAsText(env.summary()).split('\n');
    const heading = lines.indexOf(`### ecr-publish: 2 image(s) to ${PUBLIC_REGISTRY}`);
    expect(heading).toBeGreaterThan(-1);
    expect(lines.slice(heading + 1, heading + 4)).toEqual([
      '| Source | Source digest | Destination | Digest | Tags | Uploaded | Skipped | Time |',
      expect.stringMatching(/^\| docker\.io\/paketobuildpacks\/run-jammy-base:0\.1\.2 \| a{12} \|/),
      `| ${BUILDER_SOURCE} | ${'b'.repeat(12)} | ${PUBLIC_REGISTRY}/builder-jammy-base | ${'c'.repeat(12)} (mutated: run-image mirror) | 0.3.13 (held back: latest) | 3.0 MiB | 5.0 MiB | 2.3 s |`,
    ]);
    // Escaped text from registries reads as text, and is not taken for a tag.
    expect(lines).toContain('| builder-jammy-base | failed | AccessDenied: <ecr-public:PutRepositoryCatalogData> |');
    const mirror = lines.indexOf(`▸ Run-image mirror of ${PUBLIC_REGISTRY}/builder-jammy-base`);
    expect(lines[mirror - 1]).toBe('');
    expect(lines.slice(mirror + 1, mirror + 4)).toEqual([
      `  - linux/amd64: run image index.docker.io/paketobuildpacks/run-jammy-base:latest, mirrors ${PUBLIC_REGISTRY}/run-jammy-base:latest`,
      `  - linux/arm64: run image index.docker.io/paketobuildpacks/run-jammy-base:latest, mirrors ${PUBLIC_REGISTRY}/run-jammy-base:latest`,
      '  Source signatures and attestations sign the unmutated builder, so they were not copied.',
    ]);
    expect(lines).toContain('> ⚠️ Docker Hub pull quota is low: 7 of 100 pulls left');
    for (const line of lines)
      expect(line).not.toMatch(/<\/?(h\d|table|tr|t[hd]|details|summary|pre|br)\b|&(amp|lt|gt);/);
    // Every row of a table has as many cells as its header.
    const cells = (line: string) => line.split(' | ').length;
    for (const [i, line] of lines.entries()) {
      if (line.startsWith('| ') && lines[i - 1]?.startsWith('| ')) expect(cells(line)).toBe(cells(lines[i - 1]!));
    }
  });

  it('renders the gate tables of a failed gate, and an empty cell @actions/core leaves open', async () => {
    await writeSummary(privateGatedRelease());
    const text = summaryAsText(env.summary());
    expect(text).toContain(`### ecr-publish: 1 image(s) to ${PRIVATE_REGISTRY}\n| Source |`);
    expect(text).toMatch(/\n\| linux\/amd64 \| [0-9a-f]{12} \| \d+ \| \d+ \|/);
    expect(summaryAsText('<table><tr><th>A</th><th>B</th></tr><tr><td><td>x &amp;lt; y</td></tr></table>')).toBe(
      '| A | B |\n|  | x &lt; y |',
    );
  });
});
