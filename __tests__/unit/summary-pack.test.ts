// The job summary ends with the pack lines for the published builders, the lifecycle line only when it was copied.
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeSummary } from '../../src/action/summary.js';
import type { PublishReport } from '../../src/publish/report.js';
import { actionEnv } from '../support/action-env.js';
import { outline } from '../support/markdown.js';
import {
  BUILDER_SOURCE,
  dryRunReport,
  privateGatedRelease,
  PUBLIC_REGISTRY,
  publicRelease,
} from '../fixtures/reports.js';

const HEADING = '### Build with these builders';
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

/** The lines of the shell code block that ends the summary, under its heading. */
function packBlock(summary: string): string[] {
  const blocks = outline(summary);
  const [heading, code] = blocks.slice(-2);
  if (heading === undefined || !('heading' in heading) || heading.heading !== 'Build with these builders')
    throw new Error(`no pack heading second to last in:\n${summary}`);
  if (code === undefined || !('code' in code) || code.info !== 'sh')
    throw new Error(`no sh code block in:\n${summary}`);
  return code.code.trimEnd().split('\n');
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
