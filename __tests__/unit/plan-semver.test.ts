import { describe, expect, it } from '@jest/globals';
import { compareSemVer, formatSemVer, isPrerelease, parseSemVer } from '../../src/plan/semver.js';

describe('parseSemVer', () => {
  it.each([
    ['1.2.3', { major: 1, minor: 2, patch: 3, prerelease: [] }],
    ['v0.3.13', { major: 0, minor: 3, patch: 13, prerelease: [] }],
    ['1.2.3-rc.1', { major: 1, minor: 2, patch: 3, prerelease: ['rc', '1'] }],
    ['1.2.3-alpha-2.beta', { major: 1, minor: 2, patch: 3, prerelease: ['alpha-2', 'beta'] }],
    ['1.2.3+build.5', { major: 1, minor: 2, patch: 3, prerelease: [], build: 'build.5' }],
    ['1.2.3_build.5', { major: 1, minor: 2, patch: 3, prerelease: [], build: 'build.5' }],
    ['10.20.30-rc.1_b7', { major: 10, minor: 20, patch: 30, prerelease: ['rc', '1'], build: 'b7' }],
  ])('reads %s', (text, expected) => {
    expect(parseSemVer(text)).toEqual(expected);
  });

  it.each([
    'latest',
    '1',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.02.3',
    'V1.2.3',
    '1.2.3-',
    '1.2.3-01',
    'jammy',
    '',
    'v',
    '1.2.x',
  ])('rejects %j', (text) => {
    expect(parseSemVer(text)).toBeUndefined();
  });
});

describe('compareSemVer', () => {
  // Ascending precedence, as in the semver 2.0 specification's example.
  const ordered = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '1.10.0',
    '2.0.0',
  ];

  it('orders the specification example', () => {
    const shuffled = [...ordered].reverse();
    const sorted = shuffled.sort((a, b) => compareSemVer(parseSemVer(a)!, parseSemVer(b)!));
    expect(sorted).toEqual(ordered);
  });

  it.each([
    ['1.2.3', 'v1.2.3', 0],
    ['1.2.3+a', '1.2.3_b', 0],
    ['0.3.12', '0.3.13', -1],
    ['0.10.0', '0.9.9', 1],
    ['2.0.0-rc.1', '1.9.9', 1],
  ])('%s vs %s is %d', (a, b, expected) => {
    expect(compareSemVer(parseSemVer(a)!, parseSemVer(b)!)).toBe(expected);
  });
});

describe('helpers', () => {
  it('tells pre-releases apart and formats without the v prefix', () => {
    expect(isPrerelease(parseSemVer('1.0.0-rc.1')!)).toBe(true);
    expect(isPrerelease(parseSemVer('1.0.0')!)).toBe(false);
    expect(formatSemVer(parseSemVer('v1.0.0-rc.1_b2')!)).toBe('1.0.0-rc.1+b2');
  });
});
