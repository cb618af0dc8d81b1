/** The dry run's job summary: a retention preview that did not run (first), the plan, and what the real run also does. */
import type { HeldBackTag } from '../plan/tags.js';
import type { PublishReport } from '../publish/report.js';
import { escapeRows, type Table } from './table.js';

/** First, where it cannot be missed: a dry run that exits 0 must not look like a preview that found nothing. */
function retentionNotRun(report: PublishReport): Table[] {
  const byError = new Map<string, string[]>();
  for (const r of report.retention)
    if (r.error !== undefined) byError.set(r.error, [...(byError.get(r.error) ?? []), r.repository]);
  if (byError.size === 0) return [];
  return [
    {
      heading: '⚠️ The public-retention preview did not run: what it would delete is not shown',
      header: ['Repositories', 'Why'],
      rows: escapeRows([...byError].map(([error, repositories]) => [repositories.join(', '), error])),
    },
  ];
}

/** `4.13, latest: 4.13.1-rc.1 is a pre-release; …`: tags held back for one reason share it. */
function heldBackCell(heldBack: readonly HeldBackTag[]): string {
  const byReason = new Map<string, string[]>();
  for (const { tag, reason } of heldBack) byReason.set(reason, [...(byReason.get(reason) ?? []), tag]);
  return [...byReason].map(([reason, tags]) => `${tags.join(', ')}: ${reason}`).join('; ');
}

/** The dry-run summary; `retention` is the retention preview's tables, rendered as in a real run. */
export function planSummaryTables(report: PublishReport, retention: Table[]): Table[] {
  const steps = report.afterCopy ?? [];
  const staged = report.staging?.plan;
  return [
    ...retentionNotRun(report),
    ...(staged === undefined
      ? []
      : [
          {
            heading: `Staged release (dry run): first staged and scanned in ${report.staging!.at}`,
            header: ['Source', 'Staging repository', 'Tags'],
            rows: escapeRows(staged.map((p) => [p.source, p.repository, p.tags.join(', ')])),
          },
        ]),
    {
      heading:
        staged === undefined
          ? 'ecr-publish plan (dry run)'
          : 'ecr-publish plan (dry run): then published to ECR Public when every image passed',
      header: ['Source', 'Destination', 'Tags', 'Not moved'],
      hideWhenZero: ['Not moved'],
      rows: escapeRows(
        report.plan.map((p) => [p.source, p.destination ?? p.repository, p.tags.join(', '), heldBackCell(p.heldBack)]),
      ),
    },
    ...(steps.length > 0
      ? [
          {
            heading: 'What the real run also does',
            header: ['Step', 'What happens'],
            rows: escapeRows(steps.map((s) => [s.step, s.detail])),
          },
        ]
      : []),
    ...retention,
  ];
}
