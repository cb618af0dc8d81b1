import * as core from '@actions/core';
import { SEVERITIES, formatGateSummary } from '../aws/scan-policy.js';
import type { PublishReport } from '../publish.js';

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
// Finding text comes from the scanner; the summary is HTML.
const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The job summary as markdown-capable rows; kept pure of @actions/core apart from `write`. */
export function summaryTables(report: PublishReport): { heading: string; header: string[]; rows: string[][] }[] {
  if (report.dryRun) {
    return [{ heading: 'ecr-publish plan (dry run)', header: ['Source', 'Repository', 'Tags'], rows: report.plan.map((p) => [p.source, p.repository, p.tags.join(', ')]) }];
  }
  const tables = [
    {
      heading: `ecr-publish: ${report.images.length} image(s) to ${report.registry}`,
      header: ['Source', 'Source digest', 'Destination', 'Digest', 'Tags', 'Uploaded', 'Mounted', 'Skipped', 'Time'],
      rows: report.images.map((image) => [
        image.source,
        short(image.sourceDigest),
        image.repository,
        `${short(image.digest)}${image.mutated ? ' (mutated: run-image mirror)' : image.upToDate ? ' (up to date)' : ''}`,
        image.tags.join(', ') + (image.heldBackTags.length > 0 ? ` (held back: ${image.heldBackTags.map((h) => h.tag).join(', ')})` : ''),
        mib(image.bytesUploaded),
        mib(image.bytesMounted),
        mib(image.bytesSkipped),
        `${image.seconds.toFixed(1)} s`,
      ]),
    },
  ];
  for (const { repository, gate, promotion } of report.gates) {
    if (gate !== undefined) {
      const formatted = formatGateSummary(gate);
      tables.push({
        heading: formatted.verdictLine,
        header: ['Platform', 'Digest', ...SEVERITIES, 'Scan status'],
        rows: gate.platforms.map((p) => [p.platform ?? 'image', short(p.digest), ...SEVERITIES.map((s) => String(p.counts[s])), p.status]),
      });
      if (formatted.rows.length > 0) {
        const omitted = formatted.omittedRows > 0 ? [[`… and ${formatted.omittedRows} more`, ...formatted.header.slice(1).map(() => '')]] : [];
        tables.push({
          heading: `Findings in ${repository} (gate threshold ${gate.threshold})`,
          header: formatted.header,
          rows: [...formatted.rows.map((row) => row.map(escapeHtml)), ...omitted],
        });
      }
    }
    if (promotion !== undefined) {
      tables.push({ heading: `Promoted ${repository}@${short(promotion.digest)}`, header: ['Tag', 'Outcome'], rows: promotion.tags.map((t) => [t.tag, t.outcome]) });
    }
  }
  return tables;
}

export async function writeSummary(report: PublishReport): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined || process.env.GITHUB_STEP_SUMMARY === '') return;
  for (const table of summaryTables(report)) {
    core.summary.addHeading(table.heading, 3);
    // @actions/core writes an empty cell as an unclosed <td>; a dash keeps the table well-formed.
    core.summary.addTable([table.header.map((h) => ({ data: h, header: true })), ...table.rows.map((row) => row.map((cell) => (cell === '' ? '–' : cell)))]);
  }
  const mirrors = report.images.filter((image) => image.mirror !== undefined);
  for (const image of mirrors) {
    core.summary.addDetails(
      `Run-image mirror of ${image.repository}`,
      `<pre>${image.mirror!.platforms.map((p) => `${p.platform}: run image ${p.after.image}, mirrors ${p.after.mirrors.join(', ')}`).join('\n')}</pre>Source signatures do not apply to the mutated builder and were not copied.`,
    );
  }
  for (const notice of report.notices) core.summary.addRaw(`> ${notice}`, true);
  await core.summary.write();
}
