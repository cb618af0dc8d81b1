/** How scan gates are shown: annotations, the job summary's gate tables, and the `scan-findings` output. */
import type { ScanType } from '../aws/scan/coverage.js';
import type { FixAvailable, Finding } from '../aws/scan/findings.js';
import type { GateResult } from '../aws/scan/gate.js';
import type { PlatformReport, SeverityCounts } from '../aws/scan/policy.js';
import {
  SEVERITIES,
  UNRANKED_SEVERITIES,
  failsThreshold,
  isRankedSeverity,
  severityRank,
  type FindingSeverity,
  type IgnoreEntry,
  type Severity,
} from '../inputs.js';
import type { GateReport } from '../publish/report.js';
import { escapeHtml, escapeRows, short, type Table } from './table.js';

// ---------------------------------------------------------------- annotations

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
}

/** Enough to act on from the run's annotations list; the job summary has the rest. */
export const MAX_FINDING_ANNOTATIONS = 20;

const describeEntry = (entry: IgnoreEntry): string =>
  entry.until !== undefined ? `${entry.id} until ${entry.until}` : entry.id;

const gateResults = (gates: readonly GateReport[]): GateResult[] =>
  gates.flatMap((g) => (g.gate !== undefined ? [g.gate] : []));

/** An error per failing finding, one per vulnerability and package, its platforms listed. */
function findingAnnotations(results: readonly GateResult[]): Annotation[] {
  const failing = new Map<string, { message: string; platforms: string[] }>();
  for (const gate of results) {
    for (const finding of gate.failing) {
      const { id, installedVersion, fixedInVersion } = finding;
      const key = JSON.stringify([gate.repositoryName, gate.imageDigest, id, finding.package, installedVersion]);
      const fix = fixedInVersion !== undefined && fixedInVersion !== '' ? `; fixed in ${fixedInVersion}` : '';
      // A ranked severity explains itself; an unranked one says why it fails whatever the threshold.
      const why = isRankedSeverity(finding.severity) ? '' : ` (${finding.reason})`;
      const found = failing.get(key) ?? {
        message:
          `${finding.id} (${finding.reportedSeverity}) in ${finding.package || 'an unnamed package'} ` +
          `${finding.installedVersion}${fix}: ${gate.repositoryName}@${gate.imageDigest}${why}`,
        platforms: [],
      };
      found.platforms.push(finding.platform ?? finding.platformDigest);
      failing.set(key, found);
    }
  }
  const errors = [...failing.values()].map(({ message, platforms }) => ({
    level: 'error' as const,
    message: `Scan gate: ${message} [${platforms.join(', ')}]`,
  }));
  const annotations: Annotation[] = errors.slice(0, MAX_FINDING_ANNOTATIONS);
  if (errors.length > MAX_FINDING_ANNOTATIONS) {
    const more = errors.length - MAX_FINDING_ANNOTATIONS;
    annotations.push({ level: 'error', message: `Scan gate: ${more} more failing finding(s); see the job summary` });
  }
  return annotations;
}

/**
 * What the scan gates leave in the run's annotations: an error per failing finding, a warning per
 * expired `scan-ignore` entry and a notice per entry that matched nothing in any gated image.
 */
export function gateAnnotations(gates: readonly GateReport[]): Annotation[] {
  const results = gateResults(gates);
  const annotations = findingAnnotations(results);
  // scan-ignore is one list for every image: expiry is the same everywhere,
  // and an entry is unused only if no image used it.
  const expired = new Map<string, IgnoreEntry>();
  for (const gate of results) for (const entry of gate.expiredIgnores) expired.set(describeEntry(entry), entry);
  for (const [text, entry] of expired) {
    annotations.push({
      level: 'warning',
      message:
        `scan-ignore entry "${text}" expired after ${entry.until ?? ''} and ignores nothing any more; ` +
        'renew or remove it',
    });
  }
  const unusedEverywhere = (entry: IgnoreEntry): boolean =>
    results.every((gate) => gate.unmatchedIgnores.some((e) => describeEntry(e) === describeEntry(entry)));
  const unmatched = results.length === 0 ? [] : results[0]!.unmatchedIgnores.filter(unusedEverywhere);
  for (const entry of unmatched) {
    annotations.push({
      level: 'notice',
      message:
        `scan-ignore entry "${describeEntry(entry)}" matched no finding in the gated image(s); ` +
        'remove it if it is no longer needed',
    });
  }
  return annotations;
}

// ---------------------------------------------------------------- findings table

export interface SummaryInput {
  verdict: 'pass' | 'fail';
  threshold: Severity;
  repositoryName: string;
  imageDigest: string;
  platforms: readonly PlatformReport[];
  expiredIgnores: readonly IgnoreEntry[];
  unmatchedIgnores: readonly IgnoreEntry[];
}

export interface GateSummary {
  verdictLine: string;
  /** One line per platform: `linux/amd64: 1 CRITICAL, 3 HIGH`. */
  countLines: string[];
  header: string[];
  /** The top findings, failing first, then by severity; one row per vulnerability and package. */
  rows: string[][];
  /** How many rows did not fit in `maxRows`. */
  omittedRows: number;
}

const FIX_LABEL: Record<FixAvailable, string> = { YES: 'yes', NO: 'no', PARTIAL: 'partial', UNKNOWN: '' };

/** Unranked severities first: they fail every gate. */
const ALL_SEVERITIES: readonly FindingSeverity[] = [...UNRANKED_SEVERITIES, ...SEVERITIES];

/** For ordering rows: unranked above CRITICAL, since they fail whatever the threshold. */
const displayRank = (severity: FindingSeverity): number =>
  isRankedSeverity(severity) ? severityRank(severity) : SEVERITIES.length;

function describeCounts(counts: SeverityCounts): string {
  const parts = ALL_SEVERITIES.filter((severity) => (counts[severity] ?? 0) > 0).map(
    (severity) => `${counts[severity] ?? 0} ${severity}`,
  );
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

function platformLabel(platform: { digest: string; platform?: string }): string {
  return platform.platform ?? platform.digest.slice(0, 19);
}

interface FindingRow {
  finding: Finding;
  fails: boolean;
  platforms: string[];
}

/** One row per vulnerability and package across platforms: failing first, then by severity, ID and package. */
function findingRows(result: SummaryInput): FindingRow[] {
  const rows = new Map<string, FindingRow>();
  for (const platform of result.platforms) {
    for (const finding of platform.findings) {
      const key = JSON.stringify([finding.id, finding.package, finding.installedVersion]);
      const fails = !finding.ignored && failsThreshold(finding.severity, result.threshold);
      const row = rows.get(key) ?? { finding, fails, platforms: [] };
      row.fails ||= fails;
      row.platforms.push(platformLabel(platform));
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort(
    (a, b) =>
      Number(b.fails) - Number(a.fails) ||
      displayRank(b.finding.severity) - displayRank(a.finding.severity) ||
      a.finding.id.localeCompare(b.finding.id) ||
      a.finding.package.localeCompare(b.finding.package),
  );
}

function fixCell(finding: Finding): string {
  return finding.fixedInVersion !== undefined && finding.fixedInVersion !== ''
    ? `${FIX_LABEL[finding.fixAvailable] || 'yes'}: ${finding.fixedInVersion}`
    : FIX_LABEL[finding.fixAvailable];
}

/** The verdict line, per-platform counts and the top rows of the findings table for one gated image. */
export function formatGateSummary(result: SummaryInput, maxRows = 20): GateSummary {
  const ordered = findingRows(result);
  const failingRows = ordered.filter((row) => row.fails);
  const unranked = failingRows.filter((row) => !isRankedSeverity(row.finding.severity)).length;
  const image = `${result.repositoryName}@${result.imageDigest}`;
  const ranked = `${failingRows.length - unranked} finding(s) at or above ${result.threshold}`;
  const verdictLine =
    result.verdict === 'pass'
      ? `Scan gate passed for ${image}: no unignored finding at or above ${result.threshold}.`
      : unranked === 0
        ? `Scan gate failed for ${image}: ${ranked}.`
        : `Scan gate failed for ${image}: ${ranked} and ${unranked} UNTRIAGED or of unknown severity, ` +
          'which fail every gate unless listed in scan-ignore.';
  return {
    verdictLine,
    countLines: result.platforms.map((platform) => `${platformLabel(platform)}: ${describeCounts(platform.counts)}`),
    header: ['Vulnerability', 'Severity', 'Package', 'Installed version', 'Fix available', 'Platforms', 'Gate'],
    rows: ordered
      .slice(0, Math.max(0, maxRows))
      .map(({ finding, fails, platforms }) => [
        finding.id,
        finding.reportedSeverity === finding.severity
          ? finding.severity
          : `${finding.severity} (${finding.reportedSeverity})`,
        finding.package,
        finding.installedVersion,
        fixCell(finding),
        platforms.join(', '),
        fails ? 'fails' : finding.ignored ? 'ignored' : 'below threshold',
      ]),
    omittedRows: Math.max(0, ordered.length - Math.max(0, maxRows)),
  };
}

// ---------------------------------------------------------------- job summary tables

/** The job summary's gate section: problems first, then per image its counts, findings and promotion. */
export function gateTables(gates: readonly GateReport[]): Table[] {
  const tables: Table[] = [];
  const gateErrors = gates.filter((g) => g.error !== undefined);
  if (gateErrors.length > 0) {
    tables.push({
      heading: 'Scan gate or promotion could not complete: no promote tag was applied to any image',
      header: ['Repository', 'Problem'],
      rows: gateErrors.map((g) => [g.repository, escapeHtml(g.error!)]),
    });
  }
  for (const { repository, gate, promotion } of gates) {
    if (gate !== undefined) {
      const formatted = formatGateSummary(gate);
      tables.push({
        heading: formatted.verdictLine,
        header: ['Platform', 'Digest', ...ALL_SEVERITIES, 'Scan status'],
        rows: gate.platforms.map((p) => [
          p.platform ?? 'image',
          short(p.digest),
          ...ALL_SEVERITIES.map((s) => String(p.counts[s] ?? 0)),
          p.status,
        ]),
        // A zero at or above the threshold is the verdict; any other severity shows only when found.
        hideWhenZero: ALL_SEVERITIES.filter((s) => !isRankedSeverity(s) || !failsThreshold(s, gate.threshold)),
      });
      if (formatted.rows.length > 0) {
        const blanks = formatted.header.slice(1).map(() => '');
        const omitted = formatted.omittedRows > 0 ? [[`… and ${formatted.omittedRows} more`, ...blanks]] : [];
        tables.push({
          heading: `Findings in ${repository} (gate threshold ${gate.threshold})`,
          header: formatted.header,
          rows: [...escapeRows(formatted.rows), ...omitted],
        });
      }
    }
    if (promotion !== undefined) {
      tables.push({
        heading: `Promoted ${repository}@${short(promotion.digest)}`,
        header: ['Tag', 'Outcome'],
        rows: promotion.tags.map((t) => [t.tag, t.outcome]),
      });
    }
  }
  return tables;
}

// ---------------------------------------------------------------- scan-findings output

export interface ScanFindingsOutput {
  repository: string;
  digest: string;
  verdict: 'pass' | 'fail';
  scanType: ScanType;
  platforms: { digest: string; platform?: string; counts: SeverityCounts }[];
}

/** The `scan-findings` output entry for one gated image: severity counts per platform. */
export function scanFindingsOutput(result: GateResult): ScanFindingsOutput {
  return {
    repository: result.repositoryName,
    digest: result.imageDigest,
    verdict: result.verdict,
    scanType: result.scanType,
    platforms: result.platforms.map((p) => ({
      digest: p.digest,
      ...(p.platform !== undefined ? { platform: p.platform } : {}),
      counts: p.counts,
    })),
  };
}

/** The `scan-findings` output: one entry per image that got a verdict. */
export function scanFindingsJson(gates: readonly GateReport[]): string {
  return JSON.stringify(gateResults(gates).map(scanFindingsOutput));
}
