/** The dry run's job summary: a retention preview that did not run (first), the plan, and what the real run also does. */
import type { PublishReport } from '../publish/report.js';
import { escapeHtml, type Table } from './table.js';

const escapeRows = (rows: string[][]): string[][] => rows.map((row) => row.map(escapeHtml));

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

/** The dry-run summary; `retention` is the retention preview's tables, rendered as in a real run. */
export function planSummaryTables(report: PublishReport, retention: Table[]): Table[] {
  const steps = report.afterCopy ?? [];
  return [
    ...retentionNotRun(report),
    {
      heading: 'ecr-publish plan (dry run)',
      header: ['Source', 'Destination', 'Tags', 'Not moved'],
      rows: escapeRows(
        report.plan.map((p) => [
          p.source,
          p.destination ?? p.repository,
          p.tags.join(', '),
          p.heldBack.map((held) => `${held.tag}: ${held.reason}`).join('; '),
        ]),
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
