/** public-retention's ECR Public calls: list a repository's images, and BatchDeleteImage in batches of 100. */
import {
  BatchDeleteImageCommand,
  DescribeImagesCommand,
  type ECRPUBLICClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr-public';
import { EcrError, awsErrorText, hasErrorName } from '../sdk.js';
import type { RepositoryImage } from './plan.js';

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
  /** Left in place: a tag was added since the listing, or something that stays still references it. */
  skipped: string[];
}

export const MAX_BATCH_DELETE = 100;

export interface Target {
  repositoryName: string;
  registryId?: string;
}

/** A failed id of a BatchDeleteImage call: by tag or by digest. */
export interface DeleteFailure {
  imageId: ImageIdentifier;
  reason: string;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/** One BatchDeleteImage per ≤100 ids; returns the ids that failed, with why ("ImageNotFound" counts as done). */
export async function batchDelete(
  client: ECRPUBLICClient,
  target: Target,
  ids: readonly ImageIdentifier[],
): Promise<DeleteFailure[]> {
  const failed: DeleteFailure[] = [];
  for (const imageIds of chunks(ids, MAX_BATCH_DELETE)) {
    try {
      const response = await client.send(new BatchDeleteImageCommand({ ...target, imageIds }));
      for (const failure of response.failures ?? []) {
        if (failure.failureCode === 'ImageNotFound') continue;
        const reason = `${failure.failureCode ?? 'Failure'}: ${failure.failureReason ?? 'no reason given'}`;
        failed.push({ imageId: failure.imageId ?? {}, reason });
      }
    } catch (error) {
      for (const imageId of imageIds) failed.push({ imageId, reason: awsErrorText(error) });
    }
  }
  return failed;
}
