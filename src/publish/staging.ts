/** A staged release's private ECR side: its inputs, its plan, and how its repositories map to ECR Public's. */
import type { Inputs } from '../inputs.js';
import { buildPlan, type Plan, type PlanEntry } from '../plan/plan.js';
import { parseTagTemplate } from '../plan/tags.js';

/** Staged images are there to be scanned, then published: they expire after 14 days unless `lifecycle-policy` says otherwise. */
export const STAGING_LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'ecr-publish staging: expire staged images after 14 days',
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

const SOURCE_TAG_ONLY = [parseTagTemplate('{{tag}}')];

/**
 * The inputs of the staging side: private ECR in `aws-region`, repositories under the staging prefix, created
 * scan-on-push and MUTABLE with the lifecycle policy, tagged with the source tag only; no promotion, catalog,
 * retention or referrers (those are for the published release).
 */
export function stagingInputs(inputs: Inputs): Inputs {
  // Settings of ECR Public repositories (repository policy, alias) do not apply to the staging repositories.
  const rest: { -readonly [K in keyof Inputs]?: Inputs[K] } = { ...inputs };
  delete rest.kmsKey;
  delete rest.repositoryPolicy;
  delete rest.publicRegistryAlias;
  return {
    ...(rest as Inputs),
    registryType: 'private',
    repositoryPrefix: inputs.stagingRepositoryPrefix + inputs.repositoryPrefix,
    tags: SOURCE_TAG_ONLY,
    createRepositories: true,
    imageTagMutability: 'MUTABLE',
    imageTagMutabilityExclusions: [],
    scanOnPush: true,
    encryptionType: 'AES256',
    lifecyclePolicy: inputs.lifecyclePolicy ?? STAGING_LIFECYCLE_POLICY,
    promoteTags: [],
    catalogData: false,
    publicRetention: 0,
    referrers: false,
    writeRateLimit: 0,
    releaseNotes: false,
  };
}

/** The staging plan: each entry of the release under the staging prefix, tagged with its source tag only. */
export function stagingPlan(plan: Plan, inputs: Inputs): Plan {
  return {
    registryType: 'private',
    entries: plan.entries.map((entry): PlanEntry => {
      const [staged] = buildPlan({
        images: [{ source: entry.source }],
        repositoryPrefix: '',
        tagTemplates: SOURCE_TAG_ONLY,
        registryType: 'private',
      }).entries;
      return { ...staged!, repository: inputs.stagingRepositoryPrefix + entry.repository, notices: [] };
    }),
  };
}

/**
 * The release's entry of a staging entry: by source and repository in the public plan, else (an entry the
 * staging side added, a lifecycle image) the same entry without the staging prefix.
 */
export function publicEntryOf(staged: PlanEntry, plan: Plan, inputs: Inputs): PlanEntry {
  const repository = staged.repository.slice(inputs.stagingRepositoryPrefix.length);
  return (
    plan.entries.find((entry) => entry.sourceName === staged.sourceName && entry.repository === repository) ?? {
      ...staged,
      repository,
    }
  );
}
