/** Applies promote tags to an image already in private ECR, byte-exactly, without moving any other digest. */
import { BatchGetImageCommand, DescribeImagesCommand, PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { MANIFEST_MEDIA_TYPES } from '../oci/media-types.js';
import { isValidTag } from '../oci/reference.js';
import type { Runtime } from '../runtime.js';
import { errorName, registryField } from './sdk.js';

export interface PromoteOptions {
  ecr: ECRClient;
  registryId?: string | undefined;
  repositoryName: string;
  digest: string;
  tags: readonly string[];
  runtime: Runtime;
}

export interface PromotedTag {
  tag: string;
  /** `tagged`: PutImage wrote the tag; `unchanged`: the tag already held this digest. */
  outcome: 'tagged' | 'unchanged';
}

export interface PromotionResult {
  repositoryName: string;
  digest: string;
  mediaType: string;
  tags: PromotedTag[];
}

export class PromotionError extends Error {
  override name = 'PromotionError';
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The manifest exactly as ECR stores it: BatchGetImage with every manifest type accepted, so nothing is converted. */
async function fetchManifest(options: PromoteOptions): Promise<{ manifest: string; mediaType: string }> {
  const { ecr, registryId, repositoryName, digest } = options;
  const response = await ecr.send(
    new BatchGetImageCommand({
      ...registryField(registryId),
      repositoryName,
      imageIds: [{ imageDigest: digest }],
      acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
    }),
  );
  const image = response.images?.find((candidate) => candidate.imageId?.imageDigest === digest) ?? response.images?.[0];
  if (image?.imageManifest === undefined) {
    const failure = response.failures?.[0];
    const reason = failure
      ? ` (${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? 'no reason given'})`
      : '';
    throw new PromotionError(`cannot promote ${repositoryName}@${digest}: the image is not in the repository${reason}`);
  }
  const mediaType =
    image.imageManifestMediaType ?? (JSON.parse(image.imageManifest) as { mediaType?: string }).mediaType;
  if (mediaType === undefined) {
    throw new PromotionError(`cannot promote ${repositoryName}@${digest}: ECR returned no manifest media type`);
  }
  return { manifest: image.imageManifest, mediaType };
}

async function digestOfTag(options: PromoteOptions, tag: string): Promise<string | undefined> {
  try {
    const response = await options.ecr.send(
      new DescribeImagesCommand({
        ...registryField(options.registryId),
        repositoryName: options.repositoryName,
        imageIds: [{ imageTag: tag }],
      }),
    );
    return response.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if (errorName(error) === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

/**
 * Tags `digest` with each of `tags` through PutImage with the byte-exact manifest, so the digest
 * cannot change. Only call this after the scan gate passed (see `gateAndPromoteRelease`).
 */
export async function promoteImage(options: PromoteOptions): Promise<PromotionResult> {
  const { ecr, registryId, repositoryName, digest, tags, runtime } = options;
  if (!SHA256_DIGEST.test(digest)) throw new PromotionError(`cannot promote: "${digest}" is not a sha256 digest`);
  const badTag = tags.find((tag) => !isValidTag(tag));
  if (badTag !== undefined) throw new PromotionError(`promote-tags: "${badTag}" is not a valid tag`);

  const { manifest, mediaType } = await fetchManifest(options);
  const promoted: PromotedTag[] = [];
  for (const tag of tags) {
    try {
      await ecr.send(
        new PutImageCommand({
          ...registryField(registryId),
          repositoryName,
          imageManifest: manifest,
          imageManifestMediaType: mediaType,
          imageDigest: digest,
          imageTag: tag,
        }),
      );
      runtime.logger.info(`Promoted ${repositoryName}:${tag} → ${digest}`);
      promoted.push({ tag, outcome: 'tagged' });
    } catch (error) {
      const name = errorName(error);
      if (name === 'ImageAlreadyExistsException') {
        runtime.logger.info(`${repositoryName}:${tag} already points to ${digest}`);
        promoted.push({ tag, outcome: 'unchanged' });
        continue;
      }
      if (name === 'ImageTagAlreadyExistsException') {
        const current = await digestOfTag(options, tag);
        if (current === digest) {
          promoted.push({ tag, outcome: 'unchanged' });
          continue;
        }
        throw new PromotionError(
          `cannot promote ${repositoryName}@${digest} to tag "${tag}": repository ${repositoryName} has immutable tags ` +
            `and "${tag}" already points to ${current ?? 'another image'}; use a new tag or make the repository's tags mutable`,
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new PromotionError(`PutImage of ${repositoryName}:${tag} failed: ${name || 'error'}: ${message}`, {
        cause: error,
      });
    }
  }
  return { repositoryName, digest, mediaType, tags: promoted };
}
