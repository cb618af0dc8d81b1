/** Resolves the gated image once (tag → digest) and expands an index to the platform manifests ECR scans. */
import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import { sha256Digest } from '../../oci/digest.js';
import { MANIFEST_MEDIA_TYPES, isIndexMediaType } from '../../oci/media-types.js';
import { registryField } from '../sdk.js';
import { ScanGateError, type ScanRepository } from './common.js';
import { expandIndex, type FetchedIndex, type ScanTarget } from './expand.js';

export type { ScanTarget };

export interface ResolvedImage {
  digest: string;
  mediaType: string;
  targets: ScanTarget[];
}

export interface ImageToResolve extends Omit<ScanRepository, 'runtime'> {
  /** The digest wins when both are given. */
  image: { tag?: string | undefined; digest?: string | undefined };
}

interface StoredManifest {
  digest: string;
  mediaType: string;
  parsed: { mediaType?: unknown; manifests?: unknown };
}

/** One manifest by tag or digest, exactly as ECR stores it; a string says why there is none. */
async function readManifest(
  options: ImageToResolve,
  imageId: { imageTag: string } | { imageDigest: string },
): Promise<StoredManifest | string> {
  const { ecr, registryId, repositoryName } = options;
  const response = await ecr.send(
    new BatchGetImageCommand({
      ...registryField(registryId),
      repositoryName,
      imageIds: [imageId],
      acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
    }),
  );
  const found = response.images?.[0];
  if (found?.imageManifest === undefined) {
    const failure = response.failures?.[0];
    return failure ? ` (${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? 'no reason given'})` : '';
  }
  const text = found.imageManifest;
  const digest = found.imageId?.imageDigest ?? sha256Digest(Buffer.from(text, 'utf8'));
  let parsed: StoredManifest['parsed'];
  try {
    parsed = JSON.parse(text) as StoredManifest['parsed'];
  } catch {
    throw new ScanGateError('unscannable-entry', `scan gate: the manifest ${repositoryName}@${digest} is not JSON`);
  }
  const declared = typeof parsed.mediaType === 'string' ? parsed.mediaType : '';
  return { digest, mediaType: found.imageManifestMediaType ?? declared, parsed };
}

/** A nested index, read by its digest; anything but that index is a problem for the gate. */
async function readNestedIndex(options: ImageToResolve, digest: string): Promise<FetchedIndex> {
  const stored = await readManifest(options, { imageDigest: digest });
  if (typeof stored === 'string') return { problem: `is not in the repository${stored}` };
  if (stored.digest !== digest) return { problem: `came back from ECR as ${stored.digest}` };
  if (!isIndexMediaType(stored.mediaType)) {
    return { problem: `is listed as an index but ECR holds it as "${stored.mediaType || '(no media type)'}"` };
  }
  return { manifests: stored.parsed.manifests };
}

/** Reads the manifest once, so the gate (and promotion) work on this digest even if the tag moves meanwhile. */
export async function resolveImage(options: ImageToResolve): Promise<ResolvedImage> {
  const { repositoryName, image } = options;
  const imageId =
    image.digest !== undefined
      ? { imageDigest: image.digest }
      : image.tag !== undefined
        ? { imageTag: image.tag }
        : undefined;
  if (imageId === undefined) {
    throw new ScanGateError('image-not-found', 'scan gate: no tag or digest given for the image');
  }
  const shown =
    image.digest !== undefined ? `${repositoryName}@${image.digest}` : `${repositoryName}:${image.tag ?? ''}`;

  const stored = await readManifest(options, imageId);
  if (typeof stored === 'string') {
    throw new ScanGateError('image-not-found', `scan gate: image ${shown} is not in private ECR${stored}`);
  }
  const { digest, mediaType, parsed } = stored;
  if (image.digest !== undefined && digest !== image.digest) {
    throw new ScanGateError('image-not-found', `scan gate: ECR returned ${digest} when asked for ${shown}`);
  }
  if (!isIndexMediaType(mediaType) && !Array.isArray(parsed.manifests)) {
    return { digest, mediaType, targets: [{ digest }] };
  }
  const { targets, problems } = await expandIndex({ digest, manifests: parsed.manifests }, (nested) =>
    readNestedIndex(options, nested),
  );
  if (problems.length > 0) {
    throw new ScanGateError(
      'unscannable-entry',
      `scan gate: the index ${repositoryName}@${digest} has entries the gate cannot scan, so it fails rather than ` +
        `skip them: ${problems.join('; ')}. Every entry must be a platform image manifest, an attestation or an index`,
    );
  }
  if (targets.length === 0) {
    throw new ScanGateError(
      'nothing-to-scan',
      `scan gate: the index ${repositoryName}@${digest} has no platform image manifest to scan`,
    );
  }
  return { digest, mediaType, targets };
}
