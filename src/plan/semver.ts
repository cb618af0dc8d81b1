/** Semantic versions read from image tags, compared by semver 2.0 precedence. */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated pre-release identifiers; empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata; ignored for precedence. */
  readonly build?: string;
}

const NUMBER = '(0|[1-9]\\d*)';
const IDENTIFIER = '[0-9A-Za-z-]+';
// Tags cannot hold `+`, so build metadata after `_` (Helm's convention) is read as well.
const SEMVER = new RegExp(
  `^v?${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:[+_](${IDENTIFIER}(?:[._]${IDENTIFIER})*))?$`,
);

export interface ParseSemVerOptions {
  /** Accept build metadata; default true. Retention's version tags refuse it (`1.2.3_b1` is not a version there). */
  readonly build?: boolean;
}

/** `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, `1.2.3+build.5`, `1.2.3_build.5`; anything else is undefined. */
export function parseSemVer(text: string, options: ParseSemVerOptions = {}): SemVer | undefined {
  const match = SEMVER.exec(text);
  if (!match) return undefined;
  const [, major, minor, patch, prerelease, build] = match;
  if (build !== undefined && options.build === false) return undefined;
  const numbers = [major, minor, patch].map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  const prereleaseIds = prerelease === undefined ? [] : prerelease.split('.');
  // semver forbids leading zeros in numeric pre-release identifiers
  if (prereleaseIds.some((id) => /^0\d+$/.test(id))) return undefined;
  return {
    major: numbers[0] ?? 0,
    minor: numbers[1] ?? 0,
    patch: numbers[2] ?? 0,
    prerelease: prereleaseIds,
    ...(build !== undefined ? { build } : {}),
  };
}

export function isPrerelease(version: SemVer): boolean {
  return version.prerelease.length > 0;
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b`. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return Math.sign(b.prerelease.length - a.prerelease.length);
  }
  const length = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i++) {
    const order = compareIdentifiers(a.prerelease[i] ?? '', b.prerelease[i] ?? '');
    if (order !== 0) return order;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

export function formatSemVer(version: SemVer): string {
  let s = `${version.major}.${version.minor}.${version.patch}`;
  if (version.prerelease.length > 0) s += `-${version.prerelease.join('.')}`;
  if (version.build !== undefined) s += `+${version.build}`;
  return s;
}
