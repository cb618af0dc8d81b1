/** public-retention's ECR Public calls: list a repository's images, and delete what a plan says, parents first. */
import { BatchDeleteImageCommand, DescribeImagesCommand, type ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { silentLogger, type Logger } from '../../runtime.js';
import { EcrError, awsErrorText, hasErrorName } from '../ecr.js';
import type { DeletedImage, RepositoryImage, RetentionPlan } from './plan.js';

/** Like `listPublicImages`, but undefined when the repository does not exist (yet). */
export async function listPublicImagesIfExists(
  client: ECRPUBLICClient,
  repositoryName: string,
  registryId?: string,
): Promise<RepositoryImage[] | undefined> {
  try {
    return await listPublicImages(client, repositoryName, registryId);
  } catch (error) {
    if (error instanceof EcrError && hasErrorName(error.cause, 'RepositoryNotFoundException')) return undefined;
    throw error;
  }
}

/** All images of a public repository, following pagination. */
export async function listPublicImages(
  client: ECRPUBLICClient,
  repositoryName: string,
  registryId?: string,
): Promise<RepositoryImage[]> {
  const images: RepositoryImage[] = [];
  let nextToken: string | undefined;
  do {
    let response;
    try {
      response = await client.send(
        new DescribeImagesCommand({
          repositoryName,
          maxResults: 1000,
          ...(registryId === undefined ? {} : { registryId }),
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
    } catch (error) {
      const message = `Could not list the images of ECR Public repository "${repositoryName}": ${awsErrorText(error)}`;
      throw new EcrError(message, { cause: error });
    }
    for (const detail of response.imageDetails ?? []) {
      if (detail.imageDigest === undefined) continue;
      const { imageDigest, imageTags, imageManifestMediaType, imagePushedAt } = detail;
      images.push({
        imageDigest,
        imageTags: imageTags ?? [],
        ...(imageManifestMediaType === undefined ? {} : { imageManifestMediaType }),
        ...(imagePushedAt === undefined ? {} : { pushedAt: imagePushedAt }),
      });
    }
    nextToken = response.nextToken;
  } while (nextToken !== undefined);
  return images;
}

export interface RetentionFailure {
  imageDigest: string;
  reason: string;
}

export interface RetentionResult {
  dryRun: boolean;
  deleted: string[];
  failures: RetentionFailure[];
  /** Not attempted because a parent index could not be deleted (deleting them would break it). */
  skipped: string[];
}

export const MAX_BATCH_DELETE = 100;

interface Target {
  repositoryName: string;
  registryId?: string;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/** One BatchDeleteImage per ≤100 digests; returns those that failed, with why ("ImageNotFound" counts as done). */
async function batchDelete(
  client: ECRPUBLICClient,
  target: Target,
  digests: readonly string[],
): Promise<RetentionFailure[]> {
  const failed: RetentionFailure[] = [];
  for (const batch of chunks(digests, MAX_BATCH_DELETE)) {
    try {
      const imageIds = batch.map((imageDigest) => ({ imageDigest }));
      const response = await client.send(new BatchDeleteImageCommand({ ...target, imageIds }));
      for (const failure of response.failures ?? []) {
        if (failure.failureCode === 'ImageNotFound') continue;
        const imageDigest = failure.imageId?.imageDigest ?? '(unknown digest)';
        const reason = `${failure.failureCode ?? 'Failure'}: ${failure.failureReason ?? 'no reason given'}`;
        failed.push({ imageDigest, reason });
      }
    } catch (error) {
      for (const imageDigest of batch) failed.push({ imageDigest, reason: awsErrorText(error) });
    }
  }
  return failed;
}

function describeTags(tags: readonly string[]): string {
  return tags.length === 0 ? 'untagged' : `tags ${tags.join(', ')}`;
}

/** Deletes in waves, parents before children; the children of an index that could not be deleted are skipped. */
async function deleteInWaves(
  client: ECRPUBLICClient,
  target: Target,
  plan: RetentionPlan,
  logger: Logger,
  result: RetentionResult,
): Promise<void> {
  const { repositoryName } = target;
  const entries = new Map<string, DeletedImage>(plan.delete.map((entry) => [entry.imageDigest, entry]));
  const parentsOf = new Map<string, string[]>();
  for (const entry of plan.delete) {
    for (const child of entry.deletedChildren) {
      parentsOf.set(child, [...(parentsOf.get(child) ?? []), entry.imageDigest]);
    }
  }
  const remaining = new Set(entries.keys());
  const skip = (digest: string): void => {
    if (!remaining.delete(digest)) return;
    result.skipped.push(digest);
    for (const child of entries.get(digest)?.deletedChildren ?? []) skip(child);
  };

  while (remaining.size > 0) {
    const ready = (digest: string): boolean => !(parentsOf.get(digest) ?? []).some((parent) => remaining.has(parent));
    const wave = [...remaining].filter(ready);
    if (wave.length === 0) {
      for (const digest of [...remaining]) skip(digest);
      break;
    }
    const failed = await batchDelete(client, target, wave);
    const failedDigests = new Set(failed.map((failure) => failure.imageDigest));
    for (const digest of wave) {
      remaining.delete(digest);
      if (failedDigests.has(digest)) continue;
      result.deleted.push(digest);
      const entry = entries.get(digest);
      logger.info(`Deleted ${repositoryName}@${digest} (${describeTags(entry?.tags ?? [])}): ${entry?.reason ?? ''}`);
    }
    for (const failure of failed) {
      result.failures.push(failure);
      logger.warning(`Could not delete ${repositoryName}@${failure.imageDigest}: ${failure.reason}`);
      for (const child of entries.get(failure.imageDigest)?.deletedChildren ?? []) skip(child);
    }
  }
}

/** Carries out a retention plan; in a dry run, only logs what it would delete. */
export async function applyRetention(
  client: ECRPUBLICClient,
  repositoryName: string,
  plan: RetentionPlan,
  options: { dryRun: boolean; logger?: Logger; registryId?: string },
): Promise<RetentionResult> {
  const logger = options.logger ?? silentLogger;
  const { registryId } = options;
  const target: Target = { repositoryName, ...(registryId === undefined ? {} : { registryId }) };
  const result: RetentionResult = { dryRun: options.dryRun, deleted: [], failures: [], skipped: [] };
  if (options.dryRun) {
    for (const entry of plan.delete) {
      const what = `${repositoryName}@${entry.imageDigest} (${describeTags(entry.tags)})`;
      logger.info(`[dry-run] would delete ${what}: ${entry.reason}`);
    }
    return result;
  }
  await deleteInWaves(client, target, plan, logger, result);
  for (const digest of result.skipped) {
    logger.warning(`Kept ${repositoryName}@${digest}: its index could not be deleted.`);
  }
  return result;
}
