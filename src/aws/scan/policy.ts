/** The scan gate's policy: severity threshold, `scan-ignore` entries with expiry, severity counts. Pure. */
import { severityRank, type IgnoreEntry, type Severity } from '../../inputs.js';
import type { Finding, PlatformFindings } from './findings.js';

export type SeverityCounts = Record<Severity, number>;

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

function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
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
