import { describe, expect, it } from '@jest/globals';
import {
  countSeverities,
  evaluatePolicy,
  formatGateSummary,
  isExpired,
  normalizeSeverity,
  parseScanIgnore,
  type Finding,
  type PlatformFindings,
  type Severity,
} from '../../src/aws/scan-policy.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2025-06-15T12:00:00Z');

function finding(id: string, severity: string, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    severity: normalizeSeverity(severity),
    reportedSeverity: severity,
    package: 'openssl',
    installedVersion: '3.0.2',
    fixAvailable: 'UNKNOWN',
    ignored: false,
    ...extra,
  };
}

function platform(findings: Finding[], name = 'linux/amd64', digest = 'sha256:' + 'a'.repeat(64)): PlatformFindings {
  return { digest, platform: name, status: 'COMPLETE', findings };
}

describe('severity handling', () => {
  it('maps UNTRIAGED and unknown severities to UNDEFINED, keeps known ones', () => {
    expect(normalizeSeverity('UNTRIAGED')).toBe('UNDEFINED');
    expect(normalizeSeverity('whatever')).toBe('UNDEFINED');
    expect(normalizeSeverity(undefined)).toBe('UNDEFINED');
    expect(normalizeSeverity('high')).toBe('HIGH');
    expect(normalizeSeverity('CRITICAL')).toBe('CRITICAL');
  });

  it('counts every severity itself', () => {
    const counts = countSeverities([finding('CVE-1-1', 'HIGH'), finding('CVE-1-2', 'HIGH'), finding('CVE-1-3', 'UNTRIAGED')]);
    expect(counts).toEqual({ CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 1 });
  });
});

describe('evaluatePolicy thresholds', () => {
  const all: Finding[] = [finding('CVE-2024-0001', 'MEDIUM'), finding('CVE-2024-0002', 'LOW')];
  const cases: [Severity, 'pass' | 'fail', number][] = [
    ['CRITICAL', 'pass', 0],
    ['HIGH', 'pass', 0],
    ['MEDIUM', 'fail', 1],
    ['LOW', 'fail', 2],
    ['UNDEFINED', 'fail', 2],
  ];
  it.each(cases)('threshold %s gives %s with %i failing', (threshold, verdict, failingCount) => {
    const result = evaluatePolicy({ platforms: [platform(all)], threshold, ignore: [], now: NOW });
    expect(result.verdict).toBe(verdict);
    expect(result.failing).toHaveLength(failingCount);
  });

  it('treats an UNTRIAGED finding as UNDEFINED: fails only at threshold UNDEFINED', () => {
    const untriaged = [finding('CVE-2024-9', 'UNTRIAGED')];
    expect(evaluatePolicy({ platforms: [platform(untriaged)], threshold: 'INFORMATIONAL', ignore: [], now: NOW }).verdict).toBe('pass');
    expect(evaluatePolicy({ platforms: [platform(untriaged)], threshold: 'UNDEFINED', ignore: [], now: NOW }).verdict).toBe('fail');
  });

  it('names the platform of each failing finding', () => {
    const result = evaluatePolicy({
      platforms: [platform([]), platform([finding('CVE-2024-7', 'CRITICAL')], 'linux/arm64', 'sha256:' + 'b'.repeat(64))],
      threshold: 'HIGH',
      ignore: [],
      now: NOW,
    });
    expect(result.failing.map((f) => [f.id, f.platform, f.platformDigest])).toEqual([['CVE-2024-7', 'linux/arm64', 'sha256:' + 'b'.repeat(64)]]);
  });
});

describe('scan-ignore', () => {
  const critical = finding('CVE-2024-1234', 'CRITICAL', { arn: 'arn:aws:inspector2:us-east-1:123456789012:finding/abc' });

  it('ignores a matching ID (case-insensitive) and passes', () => {
    const result = evaluatePolicy({ platforms: [platform([critical])], threshold: 'HIGH', ignore: [{ id: 'cve-2024-1234' }], now: NOW });
    expect(result.verdict).toBe('pass');
    expect(result.platforms[0]?.findings[0]?.ignored).toBe(true);
    expect(result.platforms[0]?.counts.CRITICAL).toBe(1);
    expect(result.unmatchedIgnores).toEqual([]);
  });

  it('ignores by finding ARN', () => {
    const result = evaluatePolicy({
      platforms: [platform([critical])],
      threshold: 'HIGH',
      ignore: [{ id: 'arn:aws:inspector2:us-east-1:123456789012:finding/abc' }],
      now: NOW,
    });
    expect(result.verdict).toBe('pass');
  });

  it('keeps an entry valid through its until day (UTC), and expires it the day after', () => {
    const entry = { id: 'CVE-2024-1234', until: '2025-06-15' };
    const lastSecond = Date.parse('2025-06-15T23:59:59Z');
    expect(isExpired(entry, lastSecond)).toBe(false);
    expect(evaluatePolicy({ platforms: [platform([critical])], threshold: 'HIGH', ignore: [entry], now: lastSecond }).verdict).toBe('pass');

    const nextDay = lastSecond + 1000;
    const expired = evaluatePolicy({ platforms: [platform([critical])], threshold: 'HIGH', ignore: [entry], now: nextDay });
    expect(expired.verdict).toBe('fail');
    expect(expired.expiredIgnores).toEqual([entry]);
    expect(expired.unmatchedIgnores).toEqual([]);
    expect(expired.platforms[0]?.findings[0]?.ignored).toBe(false);
  });

  it('reports valid entries that matched nothing on any platform', () => {
    const result = evaluatePolicy({
      platforms: [platform([critical]), platform([], 'linux/arm64')],
      threshold: 'HIGH',
      ignore: [{ id: 'CVE-2024-1234' }, { id: 'GHSA-abcd-efgh-ijkl', until: '2099-01-01' }],
      now: NOW,
    });
    expect(result.unmatchedIgnores).toEqual([{ id: 'GHSA-abcd-efgh-ijkl', until: '2099-01-01' }]);
  });
});

describe('parseScanIgnore', () => {
  it('reads IDs, ARNs, until dates, comments and blank lines', () => {
    const text = [
      '# accepted risks',
      'CVE-2024-1234',
      '',
      'GHSA-abcd-efgh-ijkl until 2025-12-31',
      'arn:aws:inspector2:us-east-1:123456789012:finding/0123abc  # base image',
    ].join('\n');
    expect(parseScanIgnore(text)).toEqual([
      { id: 'CVE-2024-1234' },
      { id: 'GHSA-abcd-efgh-ijkl', until: '2025-12-31' },
      { id: 'arn:aws:inspector2:us-east-1:123456789012:finding/0123abc' },
    ]);
  });

  it('rejects an impossible date with one line naming it', () => {
    expect(() => parseScanIgnore('CVE-2024-1 until 2025-02-30')).toThrow(/^scan-ignore: "2025-02-30" .* YYYY-MM-DD$/);
  });

  it('rejects a bad keyword and a non-ID', () => {
    expect(() => parseScanIgnore('CVE-2024-1 before 2025-01-01')).toThrow('must be "ID" or "ID until YYYY-MM-DD"');
    expect(() => parseScanIgnore('openssl')).toThrow('scan-ignore: "openssl" does not start with a vulnerability ID');
  });
});

describe('formatGateSummary', () => {
  it('lists failing findings first, merges platforms, shows fix and verdict', () => {
    const shared = finding('CVE-2024-0100', 'HIGH', { fixAvailable: 'YES', fixedInVersion: '3.0.3' });
    const policy = evaluatePolicy({
      platforms: [
        platform([finding('CVE-2024-0200', 'LOW'), shared]),
        platform([shared, finding('CVE-2024-0300', 'CRITICAL')], 'linux/arm64'),
      ],
      threshold: 'HIGH',
      ignore: [{ id: 'CVE-2024-0300' }],
      now: NOW,
    });
    const summary = formatGateSummary({
      ...policy,
      threshold: 'HIGH',
      repositoryName: 'app',
      imageDigest: 'sha256:' + 'c'.repeat(64),
    });
    expect(summary.verdictLine).toMatch(/^Scan gate failed for app@sha256:c+: 1 finding\(s\) at or above HIGH\.$/);
    expect(summary.rows.map((row) => [row[0], row[5], row[6]])).toEqual([
      ['CVE-2024-0100', 'linux/amd64, linux/arm64', 'fails'],
      ['CVE-2024-0300', 'linux/arm64', 'ignored'],
      ['CVE-2024-0200', 'linux/amd64', 'below threshold'],
    ]);
    expect(summary.rows[0]?.[4]).toBe('yes: 3.0.3');
    expect(summary.countLines).toEqual(['linux/amd64: 1 HIGH, 1 LOW', 'linux/arm64: 1 CRITICAL, 1 HIGH']);
  });

  it('cuts to maxRows and says how many were left out', () => {
    const many = Array.from({ length: 5 }, (_, i) => finding(`CVE-2024-10${i}`, 'MEDIUM'));
    const policy = evaluatePolicy({ platforms: [platform(many)], threshold: 'CRITICAL', ignore: [], now: NOW - DAY_MS });
    const summary = formatGateSummary({ ...policy, threshold: 'CRITICAL', repositoryName: 'app', imageDigest: 'sha256:x' }, 2);
    expect(summary.rows).toHaveLength(2);
    expect(summary.omittedRows).toBe(3);
    expect(summary.verdictLine).toContain('passed');
  });
});
