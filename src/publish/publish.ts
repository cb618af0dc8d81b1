/** One run of the action, as its steps: plan → connect → immutable tags → resolve (+ lifecycle images) → copy by stage → referrers → catalog → gate → retention → report; or a staged release. */
import { isStagedRelease, type Inputs } from '../inputs.js';
import { BlobLocations, TransferLimiter } from '../oci/transfer.js';
import { BlobSpool } from '../oci/spool.js';
import { syncCatalog } from './catalog.js';
import { Connections } from './connections.js';
import type { RunContext } from './context.js';
import { dryRun, emptyReport, planRun } from './dry-run.js';
import { gateRelease, gateWanted } from './gate.js';
import { checkImmutableTags } from './immutable-tags.js';
import { copyImageReferrers } from './referrers.js';
import type { PublishEnvironment, PublishReport } from './report.js';
import { applyPublicRetention, retentionWanted } from './retention.js';
import { verifyRelease } from './verify.js';
import { publishStaged } from './staged-release.js';
import { writeRelease } from './write-release.js';

export type {
  CatalogReport,
  GateReport,
  GitHubBridge,
  PublishEnvironment,
  PublishedImage,
  PublishReport,
  RetentionReport,
  VerifyReport,
  VerifyRow,
} from './report.js';

export async function publish(inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const { runtime, github } = env;
  const requested = planRun(inputs, runtime.logger);
  if (inputs.dryRun === 'verify') return verifyRelease(requested, inputs, env);
  if (inputs.dryRun === 'plan') return dryRun(requested, inputs, env);
  // ECR Public cannot scan: stage in private ECR, gate there, then publish the bytes that passed.
  if (isStagedRelease(inputs)) return publishStaged(requested, inputs, env);

  // Repositories first: their URIs are the destinations, and a missing one must fail before any copy.
  const connections = await Connections.open(inputs, env);
  const plan = connections.placeInRegistry(requested);
  const repositories = plan.entries.map((entry) => entry.repository);
  await github.group('Immutable tags', () => checkImmutableTags(plan, connections, inputs));
  await github.group('Repositories', () => connections.ensureAll(repositories));
  const report = {
    ...emptyReport(inputs, plan),
    registry: connections.registryOf(repositories[0]!),
    logins: [connections.login],
  };

  const spool = await BlobSpool.create(env.tempDir);
  // ECR Public never mounts across repositories; private ECR only blobs a manifest references (if at all).
  const locations = new BlobLocations(() => (inputs.registryType === 'public' ? 'never' : 'referenced'));
  const run: RunContext = {
    inputs,
    runtime,
    github,
    plan,
    connections,
    spool,
    locations,
    transfers: new TransferLimiter(inputs.concurrency),
  };
  try {
    const { images, copied, lifecycle } = await writeRelease(run, 'Publish');
    report.images = images;
    if (lifecycle !== undefined) report.lifecycle = lifecycle;
    if (inputs.referrers) {
      report.images = await github.group('Signatures, attestations and SBOMs', () =>
        copyImageReferrers(report.images, run),
      );
    }
    const quota = connections.rateLimits.lowQuotaWarnings();
    for (const warning of quota) runtime.logger.warning(warning);
    report.warnings.push(...quota);
    report.catalog = await syncCatalog(copied, run);
  } finally {
    await spool.cleanup();
  }

  if (gateWanted(run))
    Object.assign(report, await github.group('Scan gate and promotion', () => gateRelease(report.images, run)));
  if (retentionWanted(inputs))
    report.retention = await github.group('Retention', () => applyPublicRetention(report.images, run));
  return report;
}
