import * as core from '@actions/core';
import { scanFindingsOutput } from '../aws/scan-gate.js';
import type { PublishReport } from '../publish/report.js';

/** The `images` output entry for one destination image (DESIGN.md section 2). */
export function imagesOutput(report: PublishReport): object[] {
  return report.images.map((image) => ({
    source: image.source,
    sourceDigest: image.sourceDigest,
    repository: image.repository,
    digest: image.digest,
    tags: image.tags,
    mutated: image.mutated,
    platforms: image.platforms,
    bytesUploaded: image.bytesUploaded,
    bytesMounted: image.bytesMounted,
    bytesSkipped: image.bytesSkipped,
  }));
}

export function setOutputs(report: PublishReport): void {
  if (report.dryRun) {
    core.setOutput('images', JSON.stringify(report.plan));
    core.setOutput('plan', JSON.stringify({ include: report.plan }));
    return;
  }
  core.setOutput('images', JSON.stringify(imagesOutput(report)));
  core.setOutput('digest', report.images[0]?.digest ?? '');
  core.setOutput('registry', report.registry);
  const gates = report.gates.flatMap((g) => (g.gate !== undefined ? [scanFindingsOutput(g.gate)] : []));
  core.setOutput('scan-findings', JSON.stringify(gates));
}
