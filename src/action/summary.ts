/** The job summary: published images, gates (see gate-report.ts), catalog data, retention, pack lines, or a verify. */
// Names, tags, labels and messages come from source images and registries: table cells are escaped here
// (or by the section that made them), once; everything else is escaped by the Markdown blocks of markdown.ts.
import * as core from '@actions/core';
import type { PublishReport } from '../publish/report.js';
import { gateTables } from './gate-report.js';
import { packUsageLines } from './pack-usage.js';
import { planSummaryTables } from './plan-summary.js';
import { codeBlock, details, heading, joinBlocks, list, paragraph, quote, tableSection } from './markdown.js';
import { escapeRows, short, type Table } from './table.js';
import { verifyTables } from './verify-summary.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The job summary's tables, cells escaped, in order. */
export function summaryTables(report: PublishReport): Table[] {
  if (report.verify !== undefined) return verifyTables(report.verify);
  if (report.dryRun) return planSummaryTables(report, retentionTables(report));
  const unpublished = report.staging?.published === false;
  const tables: Table[] = [
    {
      heading: unpublished
        ? `ecr-publish: ${report.images.length} image(s) staged in ${report.staging!.at}; nothing was published to ${report.registry}`
        : `ecr-publish: ${report.images.length} image(s) to ${report.registry}`,
      header: ['Source', 'Source digest', 'Destination', 'Digest', 'Tags', 'Uploaded', 'Mounted', 'Skipped', 'Time'],
      hideWhenZero: ['Uploaded', 'Mounted', 'Skipped'],
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
      hideWhenZero: ['Problems'],
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

/** What a builder's run-image mirror became: one list item per platform and run image, and what that meant. */
function mirrorSections(report: PublishReport): string[] {
  return report.images.flatMap((image) => {
    if (image.mirror === undefined) return [];
    const { mode, platforms, runImages } = image.mirror;
    // An up-to-date builder was not read again: only what its annotations record is known.
    const lines =
      platforms.length > 0
        ? platforms.flatMap((p) =>
            p.after.map((r) => `${p.platform}: run image ${r.image}, mirrors ${r.mirrors.join(', ')}`),
          )
        : runImages.map((r) => `${r.source} → ${r.copy} (${mode})`);
    const outcome = image.upToDate
      ? 'Already published from this source with these copies: nothing was read or written.'
      : image.mutated
        ? 'Source signatures and attestations sign the unmutated builder, so they were not copied.'
        : 'The builder already listed this mirror and was copied unchanged.';
    return [details(`Run-image mirror of ${image.repository}`, [list(lines), paragraph(outcome)])];
  });
}

/** The whole summary as Markdown: tables, mirrors, signatures, warnings and notices, then the pack lines. */
export function summaryMarkdown(report: PublishReport): string {
  const signed = report.images.filter((image) => image.referrers > 0);
  const pack = packUsageLines(report);
  const markdown = joinBlocks([
    ...summaryTables(report).map(tableSection),
    ...mirrorSections(report),
    signed.length > 0
      ? paragraph(
          `Signatures, attestations and SBOMs copied: ${signed.map((i) => `${i.repository} (${i.referrers})`).join(', ')}`,
        )
      : '',
    // One quote each: adjacent quote lines would run together into one paragraph.
    ...report.warnings.map((warning) => quote(`⚠️ ${warning}`)),
    ...report.notices.map((notice) => quote(notice)),
    // Last, where a user looks for what to do next.
    ...(pack.length > 0 ? [heading('Build with these builders'), codeBlock(pack.join('\n'), 'sh')] : []),
  ]);
  // Ends with a blank line: whatever is appended to the file next starts a block of its own.
  return markdown === '' ? '' : `${markdown}\n\n`;
}

export async function writeSummary(report: PublishReport): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined || process.env.GITHUB_STEP_SUMMARY === '') return;
  await core.summary.addRaw(summaryMarkdown(report)).write();
}
