/** Gate step (private ECR): scan every image of the release, then promote all of them or none. */
import { gateAndPromoteRelease } from '../aws/scan/release-gate.js';
import type { RunContext } from './context.js';
import type { GateReport, PublishedImage } from './report.js';

export interface GateOutcome {
  gates: GateReport[];
  gateFailed: boolean;
}

export function gateWanted(run: Pick<RunContext, 'inputs'>): boolean {
  const { inputs } = run;
  return (
    inputs.registryType === 'private' && (inputs.scanSeverityThreshold !== 'NONE' || inputs.promoteTags.length > 0)
  );
}

export async function gateRelease(images: readonly PublishedImage[], run: RunContext): Promise<GateOutcome> {
  const { inputs } = run;
  const release = await gateAndPromoteRelease(
    images.map((image) => ({ repositoryName: image.repositoryName, digest: image.digest })),
    {
      ecr: run.connections.ecr,
      runtime: run.runtime,
      threshold: inputs.scanSeverityThreshold,
      ignore: inputs.scanIgnore,
      timeoutMs: inputs.scanTimeoutSeconds * 1000,
      promoteTags: inputs.promoteTags,
      ...(inputs.registryId !== undefined ? { registryId: inputs.registryId } : {}),
    },
  );
  const uriOf = new Map(images.map((image) => [`${image.repositoryName}@${image.digest}`, image.repository]));
  const gates = release.entries.map((entry): GateReport => ({
    repository: uriOf.get(`${entry.repositoryName}@${entry.digest}`) ?? entry.repositoryName,
    ...(entry.gate ? { gate: entry.gate } : {}),
    ...(entry.promotion ? { promotion: entry.promotion } : {}),
    ...(entry.error ? { error: entry.error } : {}),
  }));
  return { gates, gateFailed: !release.passed };
}
