/** The scan gate's policy: severity threshold, `scan-ignore` entries with expiry, severity counts. Pure. */
import {
  failsThreshold,
  isRankedSeverity,
  type IgnoreEntry,
  type Severity,
  type UnrankedSeverity,
} from '../../inputs.js';
import type { Finding, PlatformFindings } from './findings.js';

/** Every ranked severity; UNTRIAGED and UNKNOWN only when some finding has them, counted apart from UNDEFINED. */
export type SeverityCounts = Record<Severity, number> & Partial<Record<UnrankedSeverity, number>>;

export interface PlatformReport extends PlatformFindings {
  /** Every finding ECR reported as active, ignored ones included. */
  counts: SeverityCounts;
}

export interface FailingFinding extends Finding {
  platformDigest: string;
  platform?: string;
  /** Why it fails: `HIGH, at or above the HIGH threshold`, or why an unranked severity fails every gate. */
  reason: string;
}

export interface PolicyResult {
  verdict: 'pass' | 'fail';
  platforms: PlatformReport[];
  /** Findings at or above the threshold, or of unranked severity, that no valid entry ignores. */
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

function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = emptyCounts();
  for (const finding of findings) counts[finding.severity] = (counts[finding.severity] ?? 0) + 1;
  return counts;
}

/** Why an unignored finding fails the gate; undefined when it does not. */
export function failureReason(finding: Finding, threshold: Severity): string | undefined {
  if (!failsThreshold(finding.severity, threshold)) return undefined;
  if (isRankedSeverity(finding.severity)) return `${finding.severity}, at or above the ${threshold} threshold`;
  const what =
    finding.severity === 'UNTRIAGED'
      ? 'UNTRIAGED: an untriaged finding'
      : `of unknown severity "${finding.reportedSeverity}": a finding of unknown severity`;
  return `${finding.id} is ${what} fails every gate unless listed in scan-ignore`;
}

function utcDay(now: number): string {
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
  const failing: FailingFinding[] = [];

  const platforms = input.platforms.map((platform): PlatformReport => {
    const findings = platform.findings.map((finding) => {
      const matching = activeIgnores.filter((entry) => entryMatches(entry, finding));
      for (const entry of matching) used.add(entry);
      return { ...finding, ignored: matching.length > 0 };
    });
    for (const finding of findings) {
      const reason = finding.ignored ? undefined : failureReason(finding, input.threshold);
      if (reason === undefined) continue;
      failing.push({
        ...finding,
        platformDigest: platform.digest,
        ...(platform.platform !== undefined ? { platform: platform.platform } : {}),
        reason,
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
