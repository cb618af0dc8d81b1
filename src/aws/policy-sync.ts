/** Keeps a repository's policy (lifecycle or access) equal to the input: read, compare as JSON, write only when it differs. */
import type { Logger } from '../runtime.js';
import { awsErrorText, EcrError, hasErrorName } from './sdk.js';

export interface PolicySync {
  /** e.g. `the lifecycle policy of ECR repository "x"`. */
  what: string;
  desired: string;
  /** A repository created by this run has no policy yet: nothing to read. */
  created: boolean;
  /** The error name AWS gives when there is no policy. */
  notFoundError: string;
  read: () => Promise<string | undefined>;
  write: (text: string) => Promise<unknown>;
  /** Logged after a write. */
  done: string;
  logger: Logger;
}

/** True when the policy was written. */
export async function syncPolicy(sync: PolicySync): Promise<boolean> {
  let current: string | undefined;
  if (!sync.created) {
    try {
      current = await sync.read();
    } catch (error) {
      if (!hasErrorName(error, sync.notFoundError))
        throw new EcrError(`Could not read ${sync.what}: ${awsErrorText(error)}`);
    }
  }
  if (current !== undefined && sameJson(current, sync.desired)) return false;
  try {
    await sync.write(sync.desired);
  } catch (error) {
    throw new EcrError(`Could not set ${sync.what}: ${awsErrorText(error)}`);
  }
  sync.logger.info(sync.done);
  return true;
}

/** Key order and whitespace do not matter; AWS may return policies reformatted. */
export function sameJson(left: string, right: string): boolean {
  try {
    return canonicalJson(JSON.parse(left)) === canonicalJson(JSON.parse(right));
  } catch {
    return false;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
