/** Value parsers of the action inputs (booleans, numbers, choices, lists, policy JSON, scan-ignore); each fails with one InputError line. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { DryRunMode, IgnoreEntry, RegistryType, RunImageMirrorMode } from '../inputs.js';
import { parseReference, type Reference } from '../oci/reference.js';
import { jsonErrorLocation } from './json-error.js';

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly input: string,
    problem: string,
  ) {
    // One line, whatever the value held.
    super(`Input "${input}": ${problem}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/** Several inputs are wrong: each is one InputError line. */
export class InputErrors extends Error {
  override name = 'InputErrors';
  constructor(readonly errors: InputError[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

/**
 * Collects the error of every wrong input, so one run reports them all. A failed input's fallback (its
 * default) stands in, so later inputs are still checked.
 */
export class InputProblems {
  readonly errors: InputError[] = [];

  take<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.errors.push(error);
      return fallback;
    }
  }

  /** Whether the input already failed: checks that depend on its value are skipped. */
  failed(input: string): boolean {
    return this.errors.some((error) => error.input === input);
  }

  /** One error is thrown as itself; several as InputErrors. */
  throwIfAny(): void {
    const [first, ...rest] = this.errors;
    if (first === undefined) return;
    throw rest.length === 0 ? first : new InputErrors(this.errors);
  }
}

/** ECR Public allows 10 TPS for layer-upload and PutImage calls. */
export const PUBLIC_WRITE_RATE_LIMIT = 10;
// Below this a paced write waits over 100 s, and far below it the interval overflows Node's timers.
const MIN_WRITE_RATE = 0.01;
const MAX_WRITE_RATE = 10000;

// Vendor-prefixed IDs as the scan gate matches them: CVE-2024-1234, GHSA-…, ALAS2023-2024-123, RHSA-2024:1234.
const VULNERABILITY_ID = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.:_-]*$/;
const FINDING_ARN = /^arn:(?:aws|aws-cn|aws-us-gov):inspector2:[a-z0-9-]+:\d{12}:finding\/[\w-]+$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const quote = (value: string): string => JSON.stringify(value);

/** How the input groups read an input (trimmed) and the environment. */
export type Get = (name: string) => string;
export type Env = Record<string, string | undefined>;

/** A setting of one registry type given with the other: never silently ignored. */
export const onlyFor = (name: string, type: RegistryType): never => {
  throw new InputError(name, `only applies to registry-type ${type}`);
};

/** Non-blank lines with `#` comments removed; `#` never occurs in references, tags or IDs. */
export function meaningfulLines(value: string): { line: number; text: string }[] {
  return value
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, text: raw.replace(/#.*$/, '').trim() }))
    .filter((entry) => entry.text !== '');
}

/** Newline- or comma-separated values, for inputs whose items cannot contain commas. */
export function listItems(value: string): string[] {
  return meaningfulLines(value).flatMap((entry) =>
    entry.text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
}

export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new InputError(name, `${quote(value)} is not a boolean; use true or false`);
}

export function parseAutoOrFalse(name: string, value: string): 'auto' | false {
  const lower = value.toLowerCase();
  // `true` reads as the default behaviour, which is what people mean by it.
  if (lower === '' || lower === 'auto' || lower === 'true') return 'auto';
  if (lower === 'false') return false;
  throw new InputError(name, `${quote(value)} is not allowed; use auto or false`);
}

export function parseWholeNumber(
  name: string,
  value: string,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  if (value === '') return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(name, `${quote(value)} is not a whole number of ${unit} between ${min} and ${max}`);
  }
  return n;
}

export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[], fallback: T): T {
  if (value === '') return fallback;
  const upper = value.toUpperCase();
  const found = choices.find((choice) => choice === upper);
  if (found === undefined) throw new InputError(name, `${quote(value)} is not one of ${choices.join(', ')}`);
  return found;
}

/** Parses to an object, or says where the JSON breaks: never quotes the text, which may hold anything. */
function parsePolicyJson(name: string, text: string, origin: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const where = jsonErrorLocation(text);
    throw new InputError(name, `${origin} is not valid JSON${where === undefined ? '' : ` (error at ${where})`}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(name, `${origin} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * A policy input holds JSON text (it starts with `{`) or a path to a JSON file, relative to the
 * workspace. Returns the JSON text after checking that it parses to an object.
 */
export function readPolicy(
  name: string,
  value: string,
  env: Record<string, string | undefined>,
  check: (policy: Record<string, unknown>) => string | undefined,
  maxLength: number,
): string | undefined {
  if (value === '') return undefined;
  let text = value;
  let origin = 'the JSON text';
  if (!value.startsWith('{') && !value.startsWith('[')) {
    const path = isAbsolute(value) ? value : resolve(env['GITHUB_WORKSPACE'] ?? process.cwd(), value);
    if (!existsSync(path))
      throw new InputError(name, `file ${quote(value)} does not exist (and the value is not JSON text)`);
    if (!statSync(path).isFile()) throw new InputError(name, `${quote(value)} is not a file`);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InputError(name, `cannot read file ${quote(value)}: ${(error as Error).message}`);
    }
    origin = `file ${quote(value)}`;
  }
  const problem = check(parsePolicyJson(name, text, origin));
  if (problem !== undefined) throw new InputError(name, `${origin} ${problem}`);
  if (text.length > maxLength) throw new InputError(name, `${origin} is longer than ${maxLength} characters`);
  return text;
}

export const lifecycleCheck = (policy: Record<string, unknown>): string | undefined =>
  Array.isArray(policy['rules']) && policy['rules'].length > 0 ? undefined : 'has no "rules" list';

export const repositoryPolicyCheck = (policy: Record<string, unknown>): string | undefined =>
  'Statement' in policy ? undefined : 'has no "Statement"';

export function parseWriteRateLimit(value: string, registryType: RegistryType): number {
  if (value === '' || value.toLowerCase() === 'auto') return registryType === 'public' ? PUBLIC_WRITE_RATE_LIMIT : 0;
  const n = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n > MAX_WRITE_RATE || (n !== 0 && n < MIN_WRITE_RATE)) {
    throw new InputError(
      'write-rate-limit',
      `${quote(value)} is not auto or a number of requests per second: 0 (no limit) or from ${MIN_WRITE_RATE} to ${MAX_WRITE_RATE}`,
    );
  }
  return n;
}

/**
 * The `scan-ignore` input: one entry a line, `ID` or `ID until YYYY-MM-DD`; blank lines and `#`
 * comments are skipped. The gate only ever sees entries that passed here.
 */
export function parseScanIgnore(value: string): IgnoreEntry[] {
  return meaningfulLines(value).map(({ line, text }) => {
    const match = /^(\S+)(?:\s+until\s+(\S+))?$/i.exec(text);
    const id = match?.[1];
    if (match === null || id === undefined) {
      throw new InputError('scan-ignore', `line ${line} ${quote(text)} is not "ID" or "ID until YYYY-MM-DD"`);
    }
    if (!FINDING_ARN.test(id) && !VULNERABILITY_ID.test(id)) {
      throw new InputError(
        'scan-ignore',
        `line ${line}: ${quote(id)} is neither a vulnerability ID like CVE-2024-1234 nor an Inspector finding ARN`,
      );
    }
    const until = match[2];
    if (until !== undefined && !isRealDate(until)) {
      throw new InputError('scan-ignore', `line ${line}: ${quote(until)} is not a date (YYYY-MM-DD)`);
    }
    return { id, ...(until !== undefined ? { until } : {}) };
  });
}

function isRealDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function parseRunImageMirror(value: string): RunImageMirrorMode | false {
  const lower = value.toLowerCase();
  // `true` reads as the default behaviour, which is what people mean by it.
  if (lower === '' || lower === 'auto' || lower === 'true') return 'auto';
  if (lower === 'primary') return 'primary';
  if (lower === 'false') return false;
  throw new InputError('run-image-mirror', `${quote(value)} is not allowed; use auto, primary or false`);
}

/** A source repository without tag or digest: each builder's lifecycle version is the tag. */
export function parseLifecycleImage(value: string): Reference | undefined {
  if (value === '') return undefined;
  let ref: Reference;
  try {
    ref = parseReference(value);
  } catch (error) {
    throw new InputError('lifecycle-image', (error as Error).message);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InputError(
      'lifecycle-image',
      `${quote(value)} names a tag or digest; give the repository only (each builder's lifecycle version is the tag)`,
    );
  }
  return ref;
}

export function parseDryRun(value: string): DryRunMode | false {
  const lower = value.toLowerCase();
  if (lower === '' || lower === 'false') return false;
  if (lower === 'true') return 'plan';
  if (lower === 'verify') return 'verify';
  throw new InputError('dry-run', `${quote(value)} is not allowed; use true, false or verify`);
}
