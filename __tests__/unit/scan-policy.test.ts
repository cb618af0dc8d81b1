/** The scan gate's policy: thresholds, unranked severities that fail closed, scan-ignore with expiry, counts. */
import { describe, expect, it } from '@jest/globals';
import { normalizeSeverity, type Finding } from '../../src/aws/scan/findings.js';
import { finding, platform } from '../fixtures/findings.js';
import { countSeverities, evaluatePolicy, isExpired } from '../../src/aws/scan/policy.js';
import type { Severity } from '../../src/inputs.js';

const NOW = Date.parse('2025-06-15T12:00:00Z');

describe('severity handling', () => {
  it('keeps UNTRIAGED, calls anything unrecognised UNKNOWN, keeps known ones (issue 11: never folded into UNDEFINED)', () => {
    expect(normalizeSeverity('UNTRIAGED')).toBe('UNTRIAGED');
    expect(normalizeSeverity('whatever')).toBe('UNKNOWN');
    expect(normalizeSeverity(undefined)).toBe('UNKNOWN');
    expect(normalizeSeverity('UNDEFINED')).toBe('UNDEFINED');
    expect(normalizeSeverity('high')).toBe('HIGH');
    expect(normalizeSeverity('CRITICAL')).toBe('CRITICAL');
  });

  it('counts every severity itself, UNTRIAGED and UNKNOWN apart from UNDEFINED and only when present', () => {
    const counts = countSeverities([
      finding('CVE-1-1', 'HIGH'),
      finding('CVE-1-2', 'HIGH'),
      finding('CVE-1-3', 'UNTRIAGED'),
    ]);
    expect(counts).toEqual({ CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0, UNTRIAGED: 1 });
    expect(countSeverities([finding('CVE-1-4', 'SEVERE'), finding('CVE-1-5', 'UNDEFINED')])).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 1,
      UNKNOWN: 1,
    });
    expect(countSeverities([finding('CVE-1-6', 'LOW')])).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 1,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
    });
  });
});

describe('UNTRIAGED and unknown severities fail closed (issue 11)', () => {
  const thresholds: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

  it.each(thresholds)('an UNTRIAGED finding fails the %s gate, saying why', (threshold) => {
    const result = evaluatePolicy({
      platforms: [platform([finding('CVE-2024-9', 'UNTRIAGED')])],
      threshold,
      ignore: [],
      now: NOW,
    });
    expect(result.verdict).toBe('fail');
    expect(result.failing.map((f) => [f.id, f.reason])).toEqual([
      ['CVE-2024-9', 'CVE-2024-9 is UNTRIAGED: an untriaged finding fails every gate unless listed in scan-ignore'],
    ]);
  });

  it('a finding of unknown severity fails even the CRITICAL gate, naming the severity ECR reported', () => {
    const result = evaluatePolicy({
      platforms: [platform([finding('CVE-2024-8', 'SEVERE')])],
      threshold: 'CRITICAL',
      ignore: [],
      now: NOW,
    });
    expect(result.verdict).toBe('fail');
    expect(result.failing[0]?.reason).toBe(
      'CVE-2024-8 is of unknown severity "SEVERE": a finding of unknown severity fails every gate unless listed in scan-ignore',
    );
  });

  it('passes when scan-ignore lists them, and still counts them', () => {
    const findings = [finding('CVE-2024-9', 'UNTRIAGED'), finding('CVE-2024-8', 'SEVERE')];
    const ignore = [{ id: 'cve-2024-9' }, { id: 'CVE-2024-8', until: '2025-06-15' }];
    const result = evaluatePolicy({ platforms: [platform(findings)], threshold: 'CRITICAL', ignore, now: NOW });
    expect(result.verdict).toBe('pass');
    expect(result.platforms[0]?.counts).toMatchObject({ UNDEFINED: 0, UNTRIAGED: 1, UNKNOWN: 1 });
  });

  it('an expired entry no longer lets an UNTRIAGED finding through', () => {
    const ignore = [{ id: 'CVE-2024-9', until: '2025-06-14' }];
    const result = evaluatePolicy({
      platforms: [platform([finding('CVE-2024-9', 'UNTRIAGED')])],
      threshold: 'CRITICAL',
      ignore,
      now: NOW,
    });
    expect(result.verdict).toBe('fail');
  });

  it('gives a ranked failing finding its reason too', () => {
    const result = evaluatePolicy({
      platforms: [platform([finding('CVE-2024-7', 'CRITICAL')])],
      threshold: 'HIGH',
      ignore: [],
      now: NOW,
    });
    expect(result.failing[0]?.reason).toBe('CRITICAL, at or above the HIGH threshold');
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

  it('names the platform of each failing finding', () => {
    const result = evaluatePolicy({
      platforms: [
        platform([]),
        platform([finding('CVE-2024-7', 'CRITICAL')], 'linux/arm64', 'sha256:' + 'b'.repeat(64)),
      ],
      threshold: 'HIGH',
      ignore: [],
      now: NOW,
    });
    expect(result.failing.map((f) => [f.id, f.platform, f.platformDigest])).toEqual([
      ['CVE-2024-7', 'linux/arm64', 'sha256:' + 'b'.repeat(64)],
    ]);
  });
});

describe('scan-ignore', () => {
  const critical = finding('CVE-2024-1234', 'CRITICAL', {
    arn: 'arn:aws:inspector2:us-east-1:123456789012:finding/abc',
  });

  it('ignores a matching ID (case-insensitive) and passes', () => {
    const result = evaluatePolicy({
      platforms: [platform([critical])],
      threshold: 'HIGH',
      ignore: [{ id: 'cve-2024-1234' }],
      now: NOW,
    });
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
    expect(
      evaluatePolicy({ platforms: [platform([critical])], threshold: 'HIGH', ignore: [entry], now: lastSecond })
        .verdict,
    ).toBe('pass');

    const nextDay = lastSecond + 1000;
    const expired = evaluatePolicy({
      platforms: [platform([critical])],
      threshold: 'HIGH',
      ignore: [entry],
      now: nextDay,
    });
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
