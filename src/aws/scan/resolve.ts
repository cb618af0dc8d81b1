/** Resolves the gated image once (tag → digest) and expands an index to the platform manifests ECR scans. */
import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import { sha256Digest } from '../../oci/digest.js';
import {
  MANIFEST_MEDIA_TYPES,
  isAttestationEntry,
  isImageManifestMediaType,
  isIndexMediaType,
  platformString,
  type ImageIndex,
} from '../../oci/media-types.js';
import { registryField } from '../sdk.js';
import { ScanGateError, type ScanRepository } from './common.js';

/** One manifest whose scan the gate waits for. */
export interface ScanTarget {
  digest: string;
  platform?: string;
}

export interface ResolvedImage {
  digest: string;
  mediaType: string;
  targets: ScanTarget[];
}

export interface ImageToResolve extends Omit<ScanRepository, 'runtime'> {
  /** The digest wins when both are given. */
  image: { tag?: string | undefined; digest?: string | undefined };
}

/** Reads the manifest once, so the gate (and promotion) work on this digest even if the tag moves meanwhile. */
export async function resolveImage(options: ImageToResolve): Promise<ResolvedImage> {
  const { ecr, registryId, repositoryName, image } = options;
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
    const reason = failure
      ? ` (${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? 'no reason given'})`
      : '';
    throw new ScanGateError('image-not-found', `scan gate: image ${shown} is not in private ECR${reason}`);
  }
  const manifestText = found.imageManifest;
  const digest = found.imageId?.imageDigest ?? sha256Digest(Buffer.from(manifestText, 'utf8'));
  if (image.digest !== undefined && digest !== image.digest) {
    throw new ScanGateError('image-not-found', `scan gate: ECR returned ${digest} when asked for ${shown}`);
  }
  const parsed = JSON.parse(manifestText) as { mediaType?: string; manifests?: ImageIndex['manifests'] };
  const mediaType = found.imageManifestMediaType ?? parsed.mediaType ?? '';

  if (!isIndexMediaType(mediaType) && !Array.isArray(parsed.manifests)) {
    return { digest, mediaType, targets: [{ digest }] };
  }
  const targets = platformTargets(parsed.manifests ?? []);
  if (targets.length === 0) {
    throw new ScanGateError(
      'nothing-to-scan',
      `scan gate: the index ${repositoryName}@${digest} has no platform image manifest to scan`,
    );
  }
  return { digest, mediaType, targets };
}

function platformTargets(manifests: ImageIndex['manifests']): ScanTarget[] {
  const seen = new Set<string>();
  const targets: ScanTarget[] = [];
  for (const entry of manifests) {
    // ECR scans image manifests only: not the index, not attestations (unknown/unknown).
    if (isAttestationEntry(entry) || !isImageManifestMediaType(entry.mediaType) || seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    targets.push(
      entry.platform !== undefined
        ? { digest: entry.digest, platform: platformString(entry.platform) }
        : { digest: entry.digest },
    );
  }
  return targets;
}
