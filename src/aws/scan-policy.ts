/** The scan gate's policy: severity threshold, `scan-ignore` with expiry, and the findings table. Pure. */

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type FixAvailable = 'YES' | 'NO' | 'PARTIAL' | 'UNKNOWN';

/** One vulnerability in one platform manifest, the same shape for basic and enhanced scanning. */
export interface Finding {
  /** Vulnerability ID: CVE-…, GHSA-…, ALAS-…; the finding ARN when the scanner gave no ID. */
  id: string;
  /** Enhanced (Inspector) findings only. */
  arn?: string;
  /** Severity for the policy: UNTRIAGED and anything unknown become UNDEFINED. */
  severity: Severity;
  /** Severity exactly as ECR reported it, for display. */
  reportedSeverity: string;
  package: string;
  installedVersion: string;
  fixAvailable: FixAvailable;
  fixedInVersion?: string;
  uri?: string;
  /** Set by the policy when an unexpired `scan-ignore` entry matches. */
  ignored: boolean;
}

export interface IgnoreEntry {
  /** A vulnerability ID or a finding ARN. */
  id: string;
  /** Last day (UTC, YYYY-MM-DD) on which the entry still ignores. */
  until?: string;
}

export type SeverityCounts = Record<Severity, number>;

export interface PlatformFindings {
  digest: string;
  /** `linux/amd64`; absent for a single manifest, which does not name its platform. */
  platform?: string;
  status: string;
  statusDescription?: string;
  findings: Finding[];
}

export interface PlatformReport extends PlatformFindings {
  /** Every finding ECR reported as active, ignored ones included. */
  counts: SeverityCounts;
}

export interface FailingFinding extends Finding {
  platformDigest: string;
  platform?: string;
}

export interface PolicyResult {
  verdict: 'pass' | 'fail';
  platforms: PlatformReport[];
  /** Findings at or above the threshold that no valid entry ignores. */
  failing: FailingFinding[];
  /** Entries past their `until` day: they ignore nothing any more. */
  expiredIgnores: IgnoreEntry[];
  /** Valid entries that matched no finding on any platform. */
  unmatchedIgnores: IgnoreEntry[];
}

export interface PolicyInput {
  platforms: readonly PlatformFindings[];
  threshold: Severity;
  ignore: readonly IgnoreEntry[];
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
}

const RANK: Record<Severity, number> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, INFORMATIONAL: 1, UNDEFINED: 0 };

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Inspector's UNTRIAGED (and anything unrecognised) is UNDEFINED, the lowest severity. */
export function normalizeSeverity(reported: string | undefined): Severity {
  const upper = (reported ?? '').toUpperCase();
  return isSeverity(upper) ? upper : 'UNDEFINED';
}

export function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** An entry is valid through its whole `until` day (UTC). */
export function isExpired(entry: IgnoreEntry, now: number): boolean {
  return entry.until !== undefined && utcDay(now) > entry.until;
}

function entryMatches(entry: IgnoreEntry, finding: Finding): boolean {
  if (entry.id.toLowerCase().startsWith('arn:')) return finding.arn === entry.id;
  return finding.id.toUpperCase() === entry.id.toUpperCase();
}

export function evaluatePolicy(input: PolicyInput): PolicyResult {
  const expiredIgnores = input.ignore.filter((entry) => isExpired(entry, input.now));
  const activeIgnores = input.ignore.filter((entry) => !isExpired(entry, input.now));
  const used = new Set<IgnoreEntry>();
  const thresholdRank = severityRank(input.threshold);
  const failing: FailingFinding[] = [];

  const platforms = input.platforms.map((platform): PlatformReport => {
    const findings = platform.findings.map((finding) => {
      const matching = activeIgnores.filter((entry) => entryMatches(entry, finding));
      for (const entry of matching) used.add(entry);
      return { ...finding, ignored: matching.length > 0 };
    });
    for (const finding of findings) {
      if (finding.ignored || severityRank(finding.severity) < thresholdRank) continue;
      failing.push({
        ...finding,
        platformDigest: platform.digest,
        ...(platform.platform !== undefined ? { platform: platform.platform } : {}),
      });
    }
    return { ...platform, findings, counts: countSeverities(findings) };
  });

  return {
    verdict: failing.length > 0 ? 'fail' : 'pass',
    platforms,
    failing,
    expiredIgnores,
    unmatchedIgnores: activeIgnores.filter((entry) => !used.has(entry)),
  };
}

// Vulnerability IDs are vendor-prefixed (CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, ALAS2023-2024-123, RHSA-2024:1234).
const VULNERABILITY_ID = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.:_-]*$/;
const FINDING_ARN = /^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:\d*:\S+$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDay(text: string): boolean {
  const match = DAY.exec(text);
  if (match === null) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * Parses the `scan-ignore` input: one entry a line, `ID` or `ID until YYYY-MM-DD`; blank lines and
 * `#` comments are skipped. Throws one line naming the bad entry.
 */
export function parseScanIgnore(text: string): IgnoreEntry[] {
  const entries: IgnoreEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const [id, keyword, day, ...rest] = words;
    if (id === undefined || !(VULNERABILITY_ID.test(id) || FINDING_ARN.test(id))) {
      throw new Error(`scan-ignore: "${line}" does not start with a vulnerability ID (e.g. CVE-2024-1234) or a finding ARN`);
    }
    if (keyword === undefined) {
      entries.push({ id });
      continue;
    }
    if (keyword.toLowerCase() !== 'until' || day === undefined || rest.length > 0) {
      throw new Error(`scan-ignore: "${line}" must be "ID" or "ID until YYYY-MM-DD"`);
    }
    if (!isCalendarDay(day)) {
      throw new Error(`scan-ignore: "${day}" in "${line}" is not a date of the form YYYY-MM-DD`);
    }
    entries.push({ id, until: day });
  }
  return entries;
}

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

function describeCounts(counts: SeverityCounts): string {
  const parts = SEVERITIES.filter((severity) => counts[severity] > 0).map((severity) => `${counts[severity]} ${severity}`);
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

function platformLabel(platform: { digest: string; platform?: string }): string {
  return platform.platform ?? platform.digest.slice(0, 19);
}

/** Rows for the job summary's findings table; the action layer only renders them. */
export function formatGateSummary(result: SummaryInput, maxRows = 20): GateSummary {
  const thresholdRank = severityRank(result.threshold);
  interface Row {
    finding: Finding;
    fails: boolean;
    platforms: string[];
  }
  const rows = new Map<string, Row>();
  for (const platform of result.platforms) {
    for (const finding of platform.findings) {
      const key = JSON.stringify([finding.id, finding.package, finding.installedVersion]);
      const fails = !finding.ignored && severityRank(finding.severity) >= thresholdRank;
      const row = rows.get(key) ?? { finding, fails, platforms: [] };
      row.fails ||= fails;
      row.platforms.push(platformLabel(platform));
      rows.set(key, row);
    }
  }
  const ordered = [...rows.values()].sort(
    (a, b) =>
      Number(b.fails) - Number(a.fails) ||
      severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
      a.finding.id.localeCompare(b.finding.id) ||
      a.finding.package.localeCompare(b.finding.package),
  );
  const failingCount = ordered.filter((row) => row.fails).length;
  const image = `${result.repositoryName}@${result.imageDigest}`;
  const verdictLine =
    result.verdict === 'pass'
      ? `Scan gate passed for ${image}: no unignored finding at or above ${result.threshold}.`
      : `Scan gate failed for ${image}: ${failingCount} finding(s) at or above ${result.threshold}.`;
  return {
    verdictLine,
    countLines: result.platforms.map((platform) => `${platformLabel(platform)}: ${describeCounts(platform.counts)}`),
    header: ['Vulnerability', 'Severity', 'Package', 'Installed version', 'Fix available', 'Platforms', 'Gate'],
    rows: ordered.slice(0, Math.max(0, maxRows)).map(({ finding, fails, platforms }) => [
      finding.id,
      finding.reportedSeverity === finding.severity ? finding.severity : `${finding.severity} (${finding.reportedSeverity})`,
      finding.package,
      finding.installedVersion,
      finding.fixedInVersion !== undefined && finding.fixedInVersion !== ''
        ? `${FIX_LABEL[finding.fixAvailable] || 'yes'}: ${finding.fixedInVersion}`
        : FIX_LABEL[finding.fixAvailable],
      platforms.join(', '),
      fails ? 'fails' : finding.ignored ? 'ignored' : 'below threshold',
    ]),
    omittedRows: Math.max(0, ordered.length - Math.max(0, maxRows)),
  };
}
