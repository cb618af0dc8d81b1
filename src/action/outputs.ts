/** The step outputs: images, digest, registry, plan (dry run: the job matrix), verify rows and scan-findings. */
import * as core from '@actions/core';
import type { PublishReport } from '../publish/report.js';
import { scanFindingsJson } from './gate-report.js';
import { verifyOutput } from './verify-summary.js';

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
    ...(image.staged !== undefined
      ? { stagedRepository: image.staged.repository, stagedDigest: image.staged.digest }
      : {}),
  }));
}

export function setOutputs(report: PublishReport): void {
  if (report.verify !== undefined) {
    core.setOutput('images', JSON.stringify(verifyOutput(report.verify)));
    core.setOutput('registry', report.registry);
    return;
  }
  if (report.dryRun) {
    core.setOutput('images', JSON.stringify(report.plan));
    core.setOutput('plan', JSON.stringify({ include: report.plan }));
    // Known from public-registry-alias, or registry-id and aws-region; otherwise only AWS can tell.
    if (report.registry !== '') core.setOutput('registry', report.registry);
    return;
  }
  core.setOutput('images', JSON.stringify(imagesOutput(report)));
  core.setOutput('digest', report.images[0]?.digest ?? '');
  core.setOutput('registry', report.registry);
  core.setOutput('scan-findings', scanFindingsJson(report.gates));
}
