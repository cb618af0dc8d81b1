/** Keeps a repository's policy (lifecycle or access) equal to the input: read, compare as JSON, write only when it differs. */
import type { Logger } from '../runtime.js';
import { awsErrorText, EcrError, hasErrorName, sameJson } from './ecr.js';

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
