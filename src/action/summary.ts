/** The job summary: published images, gates (see gate-report.ts), catalog data, retention, pack lines, or a verify. */
// The summary is HTML, and names, tags, labels and messages come from source images and registries:
// every such text is escaped here, once, in the cells of these tables and in everything writeSummary adds.
import * as core from '@actions/core';
import type { PublishReport } from '../publish/report.js';
import { gateTables } from './gate-report.js';
import { packUsageLines } from './pack-usage.js';
import { escapeHtml, short, type Table } from './table.js';
import { verifyTables } from './verify-summary.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const escapeRows = (rows: string[][]): string[][] => rows.map((row) => row.map(escapeHtml));

/** The job summary as markdown-capable rows; kept pure of @actions/core apart from `write`. */
export function summaryTables(report: PublishReport): Table[] {
  if (report.verify !== undefined) return verifyTables(report.verify);
  if (report.dryRun) {
    const staged = report.staging?.plan;
    return [
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
        header: ['Source', 'Repository', 'Tags'],
        rows: escapeRows(report.plan.map((p) => [p.source, p.repository, p.tags.join(', ')])),
      },
      ...retentionTables(report),
    ];
  }
  const unpublished = report.staging?.published === false;
  const tables: Table[] = [
    {
      heading: unpublished
        ? `ecr-publish: ${report.images.length} image(s) staged in ${report.staging!.at}; nothing was published to ${report.registry}`
        : `ecr-publish: ${report.images.length} image(s) to ${report.registry}`,
      header: ['Source', 'Source digest', 'Destination', 'Digest', 'Tags', 'Uploaded', 'Mounted', 'Skipped', 'Time'],
      rows: escapeRows(
        report.images.map((image) => [
          image.source,
          short(image.sourceDigest),
          image.repository,
          `${short(image.digest)}${image.mutated ? ' (mutated: run-image mirror)' : image.upToDate ? ' (up to date)' : ''}`,
          image.tags.join(', ') +
            (image.heldBackTags.length > 0 ? ` (held back: ${image.heldBackTags.map((h) => h.tag).join(', ')})` : ''),
          mib(image.bytesUploaded),
          mib(image.bytesMounted),
          mib(image.bytesSkipped),
          `${image.seconds.toFixed(1)} s`,
        ]),
      ),
    },
  ];
  tables.push(...stagedTables(report), ...gateTables(report.gates));
  if (report.catalog.length > 0) {
    tables.push({
      heading: 'ECR Public Gallery catalog data',
      header: ['Repository', 'Catalog data', 'Detail'],
      rows: escapeRows(report.catalog.map((c) => [c.repository, c.outcome, c.detail])),
    });
  }
  tables.push(...retentionTables(report));
  return tables;
}

/** A published staged release: each ECR Public image next to the staged copy that was scanned (same digest). */
function stagedTables(report: PublishReport): Table[] {
  if (report.staging?.published !== true) return [];
  return [
    {
      heading: `Staged and scanned in ${report.staging.at} before publishing`,
      header: ['Destination', 'Digest', 'Staged copy', 'Staged digest'],
      rows: escapeRows(
        report.images.map((image) => [
          image.repository,
          short(image.digest),
          image.staged?.repository ?? '',
          short(image.staged?.digest ?? ''),
        ]),
      ),
    },
  ];
}

/** One overview row per repository, then every deleted (or, in a dry run, deletable) image. */
function retentionTables(report: PublishReport): Table[] {
  if (report.retention.length === 0) return [];
  const dryRun = report.retention.some((r) => r.dryRun);
  const deletedWord = dryRun ? 'Would delete' : 'Deleted';
  const tables: Table[] = [
    {
      heading: `Retention: newest ${report.retention[0]!.keep} version(s) kept per repository${dryRun ? ' (dry run)' : ''}`,
      header: ['Repository', 'Kept versions', 'Older versions', deletedWord, 'Problems'],
      rows: escapeRows(
        report.retention.map((r) => [
          r.repository,
          r.keptVersions.join(', '),
          r.droppedVersions.join(', '),
          String(r.deleted.length),
          [
            ...(r.error !== undefined ? [`not run: ${r.error}`] : []),
            ...r.failures.map((f) => `${short(f.imageDigest)}: ${f.reason}`),
            ...(r.skipped.length > 0
              ? [
                  `${r.skipped.length} image(s) kept: tagged or referenced since listing, or their index could not be deleted`,
                ]
              : []),
          ].join('; '),
        ]),
      ),
    },
  ];
  const deleted = report.retention.flatMap((r) =>
    r.deleted.map((d) => [r.repository, short(d.digest), d.tags.join(', ') || '(untagged)', d.reason]),
  );
  if (deleted.length > 0) {
    tables.push({
      heading: `${deletedWord} by public-retention`,
      header: ['Repository', 'Digest', 'Tags', 'Reason'],
      rows: escapeRows(deleted),
    });
  }
  return tables;
}

/** Headings name registries and repositories; gate cells are escaped by gate-report.ts, ours by summaryTables. */
export async function writeSummary(report: PublishReport): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined || process.env.GITHUB_STEP_SUMMARY === '') return;
  for (const table of summaryTables(report)) {
    core.summary.addHeading(escapeHtml(table.heading), 3);
    // @actions/core writes an empty cell as an unclosed <td>; a dash keeps the table well-formed.
    core.summary.addTable([
      table.header.map((h) => ({ data: h, header: true })),
      ...table.rows.map((row) => row.map((cell) => (cell === '' ? '–' : cell))),
    ]);
  }
  for (const image of report.images) {
    if (image.mirror === undefined) continue;
    const { mode, platforms, runImages } = image.mirror;
    // An up-to-date builder was not read again: only what its annotations record is known.
    const lines =
      platforms.length > 0
        ? platforms.flatMap((p) =>
            p.after.map((r) => `${p.platform}: run image ${r.image}, mirrors ${r.mirrors.join(', ')}`),
          )
        : runImages.map((r) => `${r.source} → ${r.copy} (${mode})`);
    core.summary.addDetails(
      escapeHtml(`Run-image mirror of ${image.repository}`),
      `<pre>${escapeHtml(lines.join('\n'))}</pre>${
        image.upToDate
          ? 'Already published from this source with these copies: nothing was read or written.'
          : image.mutated
            ? 'Source signatures and attestations sign the unmutated builder, so they were not copied.'
            : 'The builder already listed this mirror and was copied unchanged.'
      }`,
    );
  }
  const signed = report.images.filter((image) => image.referrers > 0);
  if (signed.length > 0) {
    core.summary.addRaw(
      `Signatures, attestations and SBOMs copied: ${escapeHtml(signed.map((i) => `${i.repository} (${i.referrers})`).join(', '))}`,
      true,
    );
  }
  for (const warning of report.warnings) core.summary.addRaw(`> ⚠️ ${escapeHtml(warning)}`, true);
  for (const notice of report.notices) core.summary.addRaw(`> ${escapeHtml(notice)}`, true);
  // Last, where a user looks for what to do next.
  const pack = packUsageLines(report);
  if (pack.length > 0) {
    core.summary.addHeading('Build with these builders', 3);
    core.summary.addCodeBlock(escapeHtml(pack.join('\n')), 'sh');
  }
  await core.summary.write();
}
