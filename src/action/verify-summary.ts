/** `dry-run: verify` in the job summary, the outputs and the failure line: one row per image and tag. */
import type { VerifyReport, VerifyRow, VerifyStatus } from '../publish/report.js';
import { escapeHtml, short, type Table } from './table.js';

const WORDS: Record<VerifyStatus, string> = {
  'up-to-date': 'up to date',
  mirrored: 'mirrored',
  missing: 'missing',
  'different-digest': 'different digest',
  'moving-tag-behind': 'moving tag behind',
  'source-missing': 'source missing',
};

export function verifyTables(verify: VerifyReport): Table[] {
  const { rows, outOfStep } = verify;
  return [
    {
      heading:
        outOfStep === 0
          ? `ecr-publish verify: all ${rows.length} tag(s) in step with the source`
          : `ecr-publish verify: ${outOfStep} of ${rows.length} tag(s) out of step with the source`,
      header: ['Source', 'Source digest', 'Destination', 'Tag', 'Status', 'Digest', 'Detail'],
      hideWhenZero: ['Detail'],
      rows: rows.map((row) =>
        [
          row.source,
          short(row.sourceDigest),
          row.repository,
          row.tag,
          WORDS[row.status],
          short(row.digest),
          row.detail,
        ].map(escapeHtml),
      ),
    },
  ];
}

/** The `images` output of a verify: its rows. */
export function verifyOutput(verify: VerifyReport): VerifyRow[] {
  return verify.rows;
}

/** The one failure line when something is out of step, e.g. `2 missing, 1 moving tag behind`; undefined when in step. */
export function verifyFailure(verify: VerifyReport): string | undefined {
  if (verify.outOfStep === 0) return undefined;
  const counts = new Map<VerifyStatus, number>();
  for (const row of verify.rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  const parts = (['missing', 'different-digest', 'moving-tag-behind', 'source-missing'] as const)
    .filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${WORDS[status]}`);
  return `ECR is out of step with the source: ${parts.join(', ')} (of ${verify.rows.length} tag(s)); see the job summary.`;
}
