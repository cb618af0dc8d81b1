import { describe, expect, it } from '@jest/globals';
import { formatGateSummary } from '../../src/action/gate-report.js';
import { normalizeSeverity, type Finding, type PlatformFindings } from '../../src/aws/scan/findings.js';
import { evaluatePolicy } from '../../src/aws/scan/policy.js';

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
