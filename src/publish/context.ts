/** What every step of a run is handed: inputs, runtime, the plan, connections and the shared transfer state. */
import type { Inputs } from '../inputs.js';
import type { CopyOptions } from '../oci/copy.js';
import type { BlobLocations, TransferLimiter } from '../oci/transfer.js';
import type { BlobSpool } from '../oci/spool.js';
import type { Plan } from '../plan/plan.js';
import type { Runtime } from '../runtime.js';
import type { Connections } from './connections.js';
import type { GitHubBridge } from './report.js';

export interface RunContext {
  inputs: Inputs;
  runtime: Runtime;
  github: GitHubBridge;
  plan: Plan;
  connections: Connections;
  spool: BlobSpool;
  locations: BlobLocations;
  /** One limit on blob transfers for every image of the run. */
  transfers: TransferLimiter;
  /** A staged release: builders' run-image mirrors name the ECR Public copies, published after the gate. */
  mirrorTarget?: MirrorTarget;
}

/** Where builders' run-image mirrors point: the run's own destination, or a release written later. */
export interface MirrorTarget {
  plan: Plan;
  connections: Connections;
  repositoryPrefix: string;
  /** The plan is written after this run: a planned copy is named before it exists. */
  later: boolean;
}

export function mirrorTargetOf(run: RunContext): MirrorTarget {
  return (
    run.mirrorTarget ?? {
      plan: run.plan,
      connections: run.connections,
      repositoryPrefix: run.inputs.repositoryPrefix,
      later: false,
    }
  );
}

export function copyOptions(run: RunContext): CopyOptions {
  return {
    runtime: run.runtime,
    spool: run.spool,
    locations: run.locations,
    concurrency: run.inputs.concurrency,
    limiter: run.transfers,
  };
}
