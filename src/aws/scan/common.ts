/** What every scan-gate step shares: the repository it works on, and the error thrown when it cannot decide. */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { Runtime } from '../../runtime.js';

export interface ScanRepository {
  ecr: ECRClient;
  /** The registry's account; the caller's own when absent. */
  registryId?: string | undefined;
  repositoryName: string;
  runtime: Runtime;
}

export type ScanGateFailure =
  | 'image-not-found'
  | 'nothing-to-scan'
  | 'not-covered'
  | 'scan-failed'
  | 'scan-not-startable'
  | 'timeout'
  /** An index entry that is neither a platform image nor an attestation: fails rather than being skipped. */
  | 'unscannable-entry';

export class ScanGateError extends Error {
  override name = 'ScanGateError';
  constructor(
    readonly reason: ScanGateFailure,
    message: string,
  ) {
    super(message);
  }
}
