/** The dry run's job summary: the plan with destinations and held-back tags, the steps after the copy, a retention preview that did not run first. */
import { describe, expect, it } from '@jest/globals';
import { planSummaryTables } from '../../src/action/plan-summary.js';
import { summaryTables } from '../../src/action/summary.js';
import type { RetentionReport } from '../../src/publish/report.js';
import { BUILDER_SOURCE, dryRunReport, PRERELEASE_SOURCE, PUBLIC_REGISTRY, RUN_SOURCE } from '../fixtures/reports.js';

const notRun = (repository: string): RetentionReport => ({
  repository,
  dryRun: true,
  keep: 3,
  keptVersions: [],
  droppedVersions: [],
  deleted: [],
  failures: [],
  skipped: [],
  error: 'Could not load credentials from any providers',
});

describe('planSummaryTables', () => {
  it('tables the plan with full destinations and the tags a pre-release does not move, then the steps after the copy', () => {
    const tables = summaryTables(dryRunReport());
    expect(tables.map((t) => t.heading)).toEqual(['ecr-publish plan (dry run)', 'What the real run also does']);
    const reason = '4.13.1-rc.1 is a pre-release; moving tags follow releases only';
    expect(tables[0]).toEqual({
      heading: 'ecr-publish plan (dry run)',
      header: ['Source', 'Destination', 'Tags', 'Not moved'],
      hideWhenZero: ['Not moved'],
      rows: [
        [BUILDER_SOURCE, `${PUBLIC_REGISTRY}/builder-jammy-base`, '0.3.13, 0.3, latest', ''],
        [RUN_SOURCE, `${PUBLIC_REGISTRY}/run-jammy-base`, '0.1.2, 0.1, latest', ''],
        [PRERELEASE_SOURCE, `${PUBLIC_REGISTRY}/go`, '4.13.1-rc.1', `4.13, latest: ${reason}`],
      ],
    });
    expect(tables[1]?.rows.map((row) => row[0])).toEqual(['Run-image mirror (auto)', 'Retention']);
  });

  it('shows the repository name where the registry is not known', () => {
    const report = dryRunReport();
    const first = { ...report.plan[0]! };
    delete first.destination;
    report.plan = [first];
    expect(planSummaryTables(report, [])[0]?.rows[0]?.[1]).toBe('builder-jammy-base');
  });

  it('opens with the retention preview that did not run, before the plan', () => {
    const report = { ...dryRunReport(), retention: [notRun('go'), notRun('run-jammy-base')] };
    const [first, second] = summaryTables(report);
    expect(first).toEqual({
      heading: '⚠️ The public-retention preview did not run: what it would delete is not shown',
      header: ['Repositories', 'Why'],
      rows: [['go, run-jammy-base', 'Could not load credentials from any providers']],
    });
    expect(second?.heading).toBe('ecr-publish plan (dry run)');
  });

  it('escapes what comes from inputs and AWS', () => {
    const report = { ...dryRunReport(), retention: [{ ...notRun('go'), error: '<b>denied</b>' }] };
    expect(summaryTables(report)[0]?.rows[0]?.[1]).toBe('&lt;b&gt;denied&lt;/b&gt;');
  });
});
