/** Plan step and the dry run: the plan of a run, printed and returned; only a retention preview contacts AWS. */
import { isStagedRelease, type Inputs } from '../inputs.js';
import { expectedRegistry } from '../plan/naming.js';
import { buildPlan, placeInRegistry, planToJson, type Plan, type PlanJsonEntry } from '../plan/plan.js';
import type { Logger } from '../runtime.js';
import { plannedSteps, promotionWithoutGate } from './after-copy.js';
import { lifecycleDryRunNotices } from './lifecycle.js';
import type { PublishEnvironment, PublishReport, RetentionReport } from './report.js';
import { previewRetention, retentionWanted } from './retention.js';
import { stagingPlan } from './staging.js';

/** The plan of the run; its notices (skipped tag templates, …) and warnings are logged. */
export function planRun(inputs: Inputs, logger: Logger): Plan {
  const plan = buildPlan({
    images: inputs.images,
    repositoryPrefix: inputs.repositoryPrefix,
    tagTemplates: inputs.tags,
    registryType: inputs.registryType,
    ...(inputs.publicRegistryAlias !== undefined ? { publicRegistryAlias: inputs.publicRegistryAlias } : {}),
  });
  for (const warning of planWarnings(plan)) logger.warning(warning);
  for (const notice of runNotices(plan, inputs)) logger.notice(notice);
  return plan;
}

function planWarnings(plan: Plan): string[] {
  return plan.entries.flatMap((entry) => entry.warnings);
}

/** The plan's notices, and what the inputs make the run do that a user may not expect (promotion without a gate). */
function runNotices(plan: Plan, inputs: Inputs): string[] {
  const promotion = inputs.dryRun === 'verify' ? undefined : promotionWithoutGate(inputs);
  return [...plan.entries.flatMap((entry) => entry.notices), ...(promotion !== undefined ? [promotion] : [])];
}

/** An empty report of the run, to be filled by the steps. */
export function emptyReport(inputs: Inputs, plan: Plan): PublishReport {
  return {
    warnings: planWarnings(plan),
    dryRun: inputs.dryRun !== false,
    registry: '',
    plan: planToJson(plan),
    images: [],
    gates: [],
    gateFailed: false,
    notices: runNotices(plan, inputs),
    catalog: [],
    retention: [],
    logins: [],
  };
}

function planLine(entry: PlanJsonEntry): string {
  const line = `would publish ${entry.source} → ${entry.destination ?? entry.repository} [${entry.tags.join(', ')}]`;
  if (entry.heldBack.length === 0) return line;
  const reasons = [...new Set(entry.heldBack.map((held) => held.reason))].join('; ');
  return `${line}, not moving ${entry.heldBack.map((held) => held.tag).join(', ')}: ${reasons}`;
}

/** One warning for a retention preview that could not run, since a dry run otherwise succeeds quietly. */
function retentionNotRun(retention: readonly RetentionReport[]): string | undefined {
  const failed = retention.filter((r) => r.error !== undefined);
  if (failed.length === 0) return undefined;
  return (
    `dry-run: the public-retention preview did not run for ${failed.length} of ${retention.length} ` +
    `repositories, so what it would delete is not shown: ${failed[0]!.error!}`
  );
}

/** Staged first, in private ECR: the public repositories are written only when every image passed the gate. */
function logStagingPlan(report: PublishReport, plan: Plan, inputs: Inputs, logger: Logger): void {
  const staged = planToJson(stagingPlan(plan, inputs));
  report.staging = {
    at: `private ECR in ${inputs.awsRegion ?? ''} under ${inputs.stagingRepositoryPrefix}`,
    published: false,
    plan: staged,
  };
  for (const entry of staged)
    logger.info(`would stage ${entry.source} → ${entry.repository} [${entry.tags.join(', ')}] (private ECR, scanned)`);
}

/**
 * The plan as the real run would carry it out: the same tag decisions (against a destination that holds no newer
 * release, since nothing is read), full destinations where the inputs name the registry, and the steps after the copy.
 */
export async function dryRun(requested: Plan, inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const { logger } = env.runtime;
  const registry = expectedRegistry(inputs);
  // Gate-only use keeps an image in its own repository, as Connections.placeInRegistry does in a real run.
  const plan =
    registry !== undefined && inputs.registryType === 'private'
      ? placeInRegistry(requested, registry, inputs.repositoryPrefix)
      : requested;
  const report: PublishReport = {
    ...emptyReport(inputs, plan),
    registry: registry ?? '',
    plan: planToJson(plan, registry),
    afterCopy: plannedSteps(inputs, plan, registry),
  };
  for (const notice of lifecycleDryRunNotices(inputs)) {
    logger.notice(notice);
    report.notices.push(notice);
  }
  if (isStagedRelease(inputs)) logStagingPlan(report, plan, inputs, logger);
  for (const entry of report.plan) logger.info(planLine(entry));
  if (registry === undefined && inputs.registryType === 'private')
    logger.info('registry: the caller account, known once AWS answers; set registry-id to name it in the plan');
  if (report.afterCopy!.length > 0) logger.info('What the real run also does:');
  for (const { step, detail } of report.afterCopy!) logger.info(`  - ${step}: ${detail}`);
  if (retentionWanted(inputs)) {
    report.retention = await env.github.group('Retention (dry run)', () => previewRetention(inputs, env, plan.entries));
    const notRun = retentionNotRun(report.retention);
    if (notRun !== undefined) {
      logger.warning(notRun);
      report.warnings.push(notRun);
    }
  }
  return report;
}
