/** How scan gates are shown: the findings table, verdict line, annotations and gate tables. */
import { describe, expect, it } from '@jest/globals';
import { formatGateSummary, gateAnnotations, gateTables } from '../../src/action/gate-report.js';
import { tableSection } from '../../src/action/markdown.js';
import type { GateResult } from '../../src/aws/scan/gate.js';
import { finding, platform } from '../fixtures/findings.js';
import { evaluatePolicy } from '../../src/aws/scan/policy.js';
import { tableAfter } from '../support/markdown.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2025-06-15T12:00:00Z');

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
    const policy = evaluatePolicy({
      platforms: [platform(many)],
      threshold: 'CRITICAL',
      ignore: [],
      now: NOW - DAY_MS,
    });
    const summary = formatGateSummary(
      { ...policy, threshold: 'CRITICAL', repositoryName: 'app', imageDigest: 'sha256:x' },
      2,
    );
    expect(summary.rows).toHaveLength(2);
    expect(summary.omittedRows).toBe(3);
    expect(summary.verdictLine).toContain('passed');
  });
});

describe('unranked severities in the report (issue 11)', () => {
  const digest = 'sha256:' + 'c'.repeat(64);
  const policy = evaluatePolicy({
    platforms: [
      platform([finding('CVE-2024-0400', 'UNTRIAGED', { package: 'libfoo' }), finding('CVE-2024-0500', 'LOW')]),
    ],
    threshold: 'CRITICAL',
    ignore: [],
    now: NOW,
  });
  const gate: GateResult = {
    ...policy,
    repositoryName: 'app',
    imageDigest: digest,
    imageMediaType: 'x',
    threshold: 'CRITICAL',
    scanType: 'ENHANCED',
  };

  it('says in the verdict line and the annotation why an UNTRIAGED finding fails a CRITICAL gate', () => {
    const summary = formatGateSummary(gate);
    expect(summary.verdictLine).toBe(
      `Scan gate failed for app@${digest}: 0 finding(s) at or above CRITICAL and 1 UNTRIAGED or of unknown severity, ` +
        'which fail every gate unless listed in scan-ignore.',
    );
    expect(summary.rows.map((row) => [row[0], row[1], row[6]])).toEqual([
      ['CVE-2024-0400', 'UNTRIAGED', 'fails'],
      ['CVE-2024-0500', 'LOW', 'below threshold'],
    ]);
    expect(summary.countLines).toEqual(['linux/amd64: 1 UNTRIAGED, 1 LOW']);
    const [annotation] = gateAnnotations([{ repository: 'app', gate }]);
    expect(annotation?.message).toContain(
      'CVE-2024-0400 is UNTRIAGED: an untriaged finding fails every gate unless listed in scan-ignore',
    );
  });

  it('shows a count column for the severities the gate fails on, and for any other only when some platform has it', () => {
    const [counts] = gateTables([{ repository: 'app', gate }]);
    const [header, row] = tableAfter(tableSection(counts!), counts!.heading);
    // CRITICAL is the threshold; UNTRIAGED and LOW were found; UNKNOWN, HIGH, MEDIUM and the rest were not.
    expect(header).toEqual(['Platform', 'Digest', 'UNTRIAGED', 'CRITICAL', 'LOW', 'Scan status']);
    expect(row).toEqual(['linux/amd64', expect.any(String), '1', '0', '1', 'COMPLETE']);
  });
});
