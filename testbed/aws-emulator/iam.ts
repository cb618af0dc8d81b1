/** IAM policy evaluation for the subset our documented policies use: Allow/Deny, Action, Resource, wildcards, string conditions. */
import { readFileSync } from 'node:fs';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]> | '*';
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export type Placeholders = Record<string, string>;

/** Replaces `${Name}` placeholders (e.g. `${AccountId}`) with the emulator's configured values. */
export function substitutePlaceholders(text: string, placeholders: Placeholders): string {
  return text.replace(/\$\{([A-Za-z]+)\}/g, (whole, name: string) => placeholders[name] ?? whole);
}

export function parsePolicy(text: string, placeholders: Placeholders, what: string): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(substitutePlaceholders(text, placeholders));
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  const document = parsed as PolicyDocument;
  if (document === null || typeof document !== 'object' || document.Statement === undefined) {
    throw new Error(`${what} has no Statement`);
  }
  for (const statement of statements(document)) {
    for (const unsupported of ['NotAction', 'NotResource', 'NotPrincipal']) {
      if (unsupported in statement) throw new Error(`${what}: ${unsupported} is not supported by the emulator`);
    }
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
      throw new Error(`${what}: Effect must be Allow or Deny`);
  }
  return document;
}

export function loadPolicyFile(path: URL | string, placeholders: Placeholders): PolicyDocument {
  return parsePolicy(readFileSync(path, 'utf8'), placeholders, String(path));
}

export function statements(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

function statementMatches(statement: PolicyStatement, action: string, resource: string): boolean {
  // Conditions are not modelled for permissions policies; a conditional statement never matches.
  if (statement.Condition !== undefined) return false;
  return (
    list(statement.Action).some((pattern) => wildcardMatch(pattern, action, true)) &&
    list(statement.Resource).some((pattern) => wildcardMatch(pattern, resource))
  );
}

/** An explicit Deny wins; otherwise some Allow must match; otherwise implicitly denied. */
export function isAllowed(document: PolicyDocument, action: string, resource: string): boolean {
  const matching = statements(document).filter((statement) => statementMatches(statement, action, resource));
  if (matching.some((statement) => statement.Effect === 'Deny')) return false;
  return matching.some((statement) => statement.Effect === 'Allow');
}

export interface TrustRequest {
  federatedPrincipal: string;
  action: string;
  /** Condition keys such as `token.actions.githubusercontent.com:aud`. */
  context: Record<string, string>;
}

function conditionHolds(operator: string, expected: string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  switch (operator) {
    case 'StringEquals':
      return expected.includes(actual);
    case 'StringLike':
      return expected.some((pattern) => wildcardMatch(pattern, actual));
    case 'StringNotEquals':
      return !expected.includes(actual);
    case 'StringNotLike':
      return !expected.some((pattern) => wildcardMatch(pattern, actual));
    default:
      throw new Error(`condition operator ${operator} is not supported by the emulator`);
  }
}

/** Evaluates a role trust policy for a web-identity federation request. */
export function trustAllows(document: PolicyDocument, request: TrustRequest): boolean {
  return statements(document).some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const principal = statement.Principal;
    const federated = principal === '*' ? ['*'] : list(principal?.Federated);
    if (!federated.some((pattern) => wildcardMatch(pattern, request.federatedPrincipal))) return false;
    if (!list(statement.Action).some((pattern) => wildcardMatch(pattern, request.action, true))) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => conditionHolds(operator, list(expected), request.context[key])),
    );
  });
}
