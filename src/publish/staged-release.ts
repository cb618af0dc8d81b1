/** A staged release (ECR Public with a scan gate): stage in private ECR, gate every image there, then publish the scanned bytes. */
import type { Inputs } from '../inputs.js';
import { BlobSpool } from '../oci/spool.js';
import { BlobLocations, TransferLimiter } from '../oci/transfer.js';
import type { Plan } from '../plan/plan.js';
import { syncCatalog } from './catalog.js';
import { Connections } from './connections.js';
import type { RunContext } from './context.js';
import { copyByStage } from './copy.js';
import { emptyReport } from './dry-run.js';
import { gateRelease } from './gate.js';
import { copyImageReferrers } from './referrers.js';
import type { LifecycleCopy, PublishEnvironment, PublishedImage, PublishReport } from './report.js';
import { applyPublicRetention, retentionWanted } from './retention.js';
import { resolveStaged, stagedImages } from './staged-items.js';
import { publicEntryOf, stagingInputs, stagingPlan } from './staging.js';
import { inPlanOrder } from './work-item.js';
import { writeRelease, type WrittenRelease } from './write-release.js';

/**
 * Stages the whole release (builders with mirrors naming the ECR Public run images), gates it, and only when
 * every image passed writes it to ECR Public from the spool, or from the staging copies on a re-run.
 */
export async function publishStaged(plan: Plan, inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const { runtime, github } = env;
  const connections = await Connections.open(inputs, env);
  const side = stagingInputs(inputs);
  const staging = await connections.forStaging(side);
  const staged = stagingPlan(plan, inputs);
  // Both sides before any copy: a missing repository or a wrong alias fails before anything is written.
  await github.group('Repositories', async () => {
    await connections.ensureAll(plan.entries.map((entry) => entry.repository));
    await staging.ensureAll(staged.entries.map((entry) => entry.repository));
  });
  const report: PublishReport = {
    ...emptyReport(inputs, plan),
    registry: connections.registryOf(plan.entries[0]!.repository),
    logins: [connections.login],
    staging: {
      at: `${staging.registryOf(staged.entries[0]!.repository)}/${inputs.stagingRepositoryPrefix}`,
      published: false,
    },
  };
  const spool = await BlobSpool.create(env.tempDir);
  const shared = { runtime, github, spool, transfers: new TransferLimiter(inputs.concurrency) };
  const stagingRun: RunContext = {
    ...shared,
    inputs: side,
    plan: staged,
    connections: staging,
    // Staging is private ECR: only blobs a manifest references mount (if BLOB_MOUNTING is on).
    locations: new BlobLocations(() => 'referenced'),
    mirrorTarget: { plan, connections, repositoryPrefix: inputs.repositoryPrefix, later: true },
  };
  try {
    const written = await writeRelease(stagingRun, 'Stage');
    Object.assign(report, await github.group('Scan gate', () => gateRelease(written.images, stagingRun)));
    if (report.gateFailed) {
      const notice =
        `Nothing of this release was published to ${report.registry}: not every image passed the scan gate. ` +
        `The staged copies stay in ${report.staging!.at} (until their lifecycle policy expires them); a re-run ` +
        'after the finding is fixed or listed in scan-ignore publishes them without reading the source again.';
      runtime.logger.info(notice);
      report.notices.push(notice);
      report.images = written.images.map((image) => ({ ...image, staged: stagedCopy(image) }));
      if (written.lifecycle !== undefined) report.lifecycle = written.lifecycle;
      return report;
    }
    const publicRun: RunContext = {
      ...shared,
      inputs,
      plan: { ...plan, entries: stagingRun.plan.entries.map((entry) => publicEntryOf(entry, plan, inputs)) },
      connections,
      // ECR Public does not mount across repositories.
      locations: new BlobLocations(() => 'never'),
    };
    await publishRelease(written, stagingRun, publicRun, report);
    report.staging = { ...report.staging!, published: true };
    if (retentionWanted(inputs))
      report.retention = await github.group('Retention', () => applyPublicRetention(report.images, publicRun));
  } finally {
    await spool.cleanup();
  }
  return report;
}

const stagedCopy = (image: PublishedImage) => ({ repository: image.repository, digest: image.digest });

/** After the gate: the staged images to ECR Public (same manifests, so the same digests), signatures, catalog data. */
async function publishRelease(
  written: WrittenRelease,
  stagingRun: RunContext,
  run: RunContext,
  report: PublishReport,
): Promise<void> {
  const { github, connections } = run;
  // Lifecycle images were added on the staging side; their ECR Public repository is ensured now.
  for (const entry of run.plan.entries) await connections.ensure(entry.repository, run.inputs.createRepositories);
  const images = stagedImages(
    written.images,
    written.copied,
    (entry) => publicEntryOf(entry, run.plan, run.inputs),
    stagingRun,
  );
  const resolved = await github.group('Resolve in ECR Public', () => resolveStaged(images, stagingRun, run));
  const copied = await github.group(`Publish ${resolved.pending.length} image(s)`, () =>
    copyByStage(resolved.pending, run),
  );
  const byEntry = new Map(images.map((s) => [`${s.entry.sourceName} ${s.entry.repository}`, s.image]));
  report.images = inPlanOrder([...resolved.upToDate, ...copied.map((c) => c.image)], run.plan).map((image) => {
    const scanned = byEntry.get(`${image.source} ${image.repositoryName}`)!;
    // The promise of a staged release: what is public is exactly what was scanned.
    if (image.digest !== scanned.digest)
      throw new Error(`${image.repository}: wrote ${image.digest}, but the scanned copy is ${scanned.digest}`);
    return { ...image, staged: stagedCopy(scanned) };
  });
  if (written.lifecycle !== undefined) report.lifecycle = written.lifecycle.map((copy) => publicLifecycle(copy, run));
  if (run.inputs.referrers) {
    report.images = await github.group('Signatures, attestations and SBOMs', () =>
      copyImageReferrers(report.images, run),
    );
  }
  report.warnings = connections.rateLimits.lowQuotaWarnings();
  for (const warning of report.warnings) run.runtime.logger.warning(warning);
  report.catalog = await syncCatalog(copied, run);
}

/** A lifecycle copy named by its ECR Public repository instead of its staging one. */
function publicLifecycle(copy: LifecycleCopy, run: RunContext): LifecycleCopy {
  const entry = run.plan.entries.find((e) => e.sourceName === copy.source)!;
  return {
    ...copy,
    image: `${run.connections.destination(entry.repository).repository.repositoryUri}:${copy.version}`,
  };
}
