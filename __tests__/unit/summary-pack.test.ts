// The job summary ends with the pack lines for the published builders, the lifecycle line only when it was copied.
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeSummary } from '../../src/action/summary.js';
import type { PublishReport } from '../../src/publish/report.js';
import { actionEnv } from '../support/action-env.js';
import {
  BUILDER_SOURCE,
  dryRunReport,
  privateGatedRelease,
  PUBLIC_REGISTRY,
  publicRelease,
} from '../fixtures/reports.js';

const HEADING = '<h3>Build with these builders</h3>';
const LIFECYCLE = `${PUBLIC_REGISTRY}/lifecycle:0.20.0`;

function withLifecycle(report: PublishReport): PublishReport {
  return {
    ...report,
    lifecycle: [
      {
        version: '0.20.0',
        source: 'docker.io/buildpacksio/lifecycle:0.20.0',
        image: LIFECYCLE,
        builders: [BUILDER_SOURCE],
      },
    ],
  };
}

/** The lines of the code block after the heading, unescaped. */
function packBlock(summary: string): string[] {
  const start = summary.indexOf(HEADING);
  if (start < 0) throw new Error(`no pack heading in:\n${summary}`);
  const code = /<pre lang="sh"><code>(.*?)<\/code><\/pre>/s.exec(summary.slice(start))?.[1] ?? '';
  return code.replaceAll('&amp;', '&').split('\n');
}

describe('writeSummary: pack lines', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());
  const builder = `${PUBLIC_REGISTRY}/builder-jammy-base:0.3.13`;
  const mirror = `pack config run-image-mirrors add index.docker.io/paketobuildpacks/run-jammy-base:latest --mirror ${PUBLIC_REGISTRY}/run-jammy-base:latest`;

  it('end the summary, after the warnings and notices, without a lifecycle line when none was copied', async () => {
    await writeSummary(publicRelease());
    const summary = env.summary();
    expect(summary.indexOf(HEADING)).toBeGreaterThan(summary.indexOf('is also published as 0.1'));
    expect(summary.trimEnd().endsWith('</code></pre>')).toBe(true);
    expect(packBlock(summary)).toEqual([
      `pack build my-app --builder ${builder}`,
      mirror,
      `pack config trusted-builders add ${builder}`,
    ]);
  });

  it('name the copied lifecycle image, with trusting the builder as the alternative', async () => {
    await writeSummary(withLifecycle(publicRelease()));
    expect(packBlock(env.summary())).toEqual([
      `pack build my-app --builder ${builder}`,
      mirror,
      `pack config lifecycle-image ${LIFECYCLE}`,
      '# or, instead of the lifecycle image, trust the builder (it then runs its own lifecycle):',
      `pack config trusted-builders add ${builder}`,
    ]);
  });

  it('are left out without builders, and in a dry run', async () => {
    await writeSummary(withLifecycle(privateGatedRelease()));
    expect(env.summary()).not.toContain('pack ');
    env.reset();
    await writeSummary(dryRunReport());
    expect(env.summary()).not.toContain(HEADING);
  });
});
