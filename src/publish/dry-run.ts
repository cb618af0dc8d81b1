/** Plan step and the dry run: the plan of a run, printed and returned without contacting anything else. */
import { isStagedRelease, type Inputs } from '../inputs.js';
import { buildPlan, planToJson, type Plan } from '../plan/plan.js';
import type { Logger } from '../runtime.js';
import { lifecycleDryRunNotices } from './lifecycle.js';
import type { PublishEnvironment, PublishReport } from './report.js';
import { previewRetention, retentionWanted } from './retention.js';
import { stagingPlan } from './staging.js';

/** The plan of the run; its notices (skipped tag templates, …) are logged. */
export function planRun(inputs: Inputs, logger: Logger): Plan {
  const plan = buildPlan({
    images: inputs.images,
    repositoryPrefix: inputs.repositoryPrefix,
    tagTemplates: inputs.tags,
    registryType: inputs.registryType,
    ...(inputs.publicRegistryAlias !== undefined ? { publicRegistryAlias: inputs.publicRegistryAlias } : {}),
  });
  for (const notice of planNotices(plan)) logger.notice(notice);
  return plan;
}

export function planNotices(plan: Plan): string[] {
  return plan.entries.flatMap((entry) => entry.notices);
}

/** An empty report of the run, to be filled by the steps. */
export function emptyReport(inputs: Inputs, plan: Plan): PublishReport {
  return {
    warnings: [],
    dryRun: inputs.dryRun !== false,
    registry: '',
    plan: planToJson(plan),
    images: [],
    gates: [],
    gateFailed: false,
    notices: planNotices(plan),
    catalog: [],
    retention: [],
    logins: [],
  };
}

/** Only retention reaches out in a dry run: what it would delete depends on what is there. */
export async function dryRun(plan: Plan, inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const report = emptyReport(inputs, plan);
  for (const notice of lifecycleDryRunNotices(inputs)) {
    env.runtime.logger.notice(notice);
    report.notices.push(notice);
  }
  if (isStagedRelease(inputs)) {
    // Staged first, in private ECR: the public repositories are written only when every image passed the gate.
    const staged = planToJson(stagingPlan(plan, inputs));
    report.staging = {
      at: `private ECR in ${inputs.awsRegion ?? ''} under ${inputs.stagingRepositoryPrefix}`,
      published: false,
      plan: staged,
    };
    for (const entry of staged)
      env.runtime.logger.info(
        `would stage ${entry.source} → ${entry.repository} [${entry.tags.join(', ')}] (private ECR, scanned)`,
      );
  }
  for (const entry of report.plan)
    env.runtime.logger.info(`would publish ${entry.source} → ${entry.repository} [${entry.tags.join(', ')}]`);
  if (retentionWanted(inputs))
    report.retention = await env.github.group('Retention (dry run)', () => previewRetention(inputs, env, plan.entries));
  return report;
}
