/**
 * public-retention: ECR Public has no lifecycle policies, so we keep the newest N semver versions
 * ourselves. Safety first: an image is deleted only when nothing that stays needs it.
 *
 * Rules:
 * - A version tag is a full semver `MAJOR.MINOR.PATCH[-pre]`, optionally `v`-prefixed; `1.2.3` and
 *   `v1.2.3` are the same version. Order is semver precedence, never push time.
 * - The newest N releases are kept. Pre-releases do not count toward N: one is kept when it is newer
 *   than the oldest kept release (or when no release was dropped), so old release candidates go and
 *   an in-flight one stays.
 * - Every other tag (`latest`, floats like `0.3` or `1`, `sha-abc`, …) is always kept.
 * - Cosign-style `sha256-<hex>.sig/.att/.sbom` tags follow their subject: dropped only when the
 *   subject is deleted.
 * - An image is kept when any kept tag points at it, or it is (transitively) a child of a kept index.
 * - An untagged image is deleted only as the child of a deleted index; other untagged images
 *   (e.g. OCI referrers) are left alone.
 * - A dropped version tag on a kept image stays: removing it would free nothing and break pulls.
 * - Pinned images (those the current run just published) are kept with their children, even when
 *   their only version is old: a backfill must not be undone by the run that made it.
 */
import { BatchDeleteImageCommand, DescribeImagesCommand, type ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { isIndexMediaType } from '../oci/media-types.js';
import { silentLogger, type Logger } from '../runtime.js';
import { EcrError, awsErrorText, hasErrorName } from './ecr.js';

export interface RepositoryImage {
  imageDigest: string;
  imageTags: readonly string[];
  imageManifestMediaType?: string;
  pushedAt?: Date;
}

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: readonly string[];
}

const SEMVER_TAG =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;

const REFERRER_TAG = /^sha256-([a-f0-9]{64})(?:\.[A-Za-z0-9_.-]+)?$/;

export function parseVersionTag(tag: string): SemVer | undefined {
  const match = SEMVER_TAG.exec(tag);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] === undefined ? [] : match[4].split('.'),
  };
}

function compareIdentifiers(left: string, right: string): number {
  const leftNumeric = /^\d+$/.test(left);
  const rightNumeric = /^\d+$/.test(right);
  if (leftNumeric && rightNumeric) return Math.sign(Number(left) - Number(right));
  if (leftNumeric !== rightNumeric) return leftNumeric ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Semver precedence: negative when `left` is older. */
export function compareVersions(left: SemVer, right: SemVer): number {
  const core = Math.sign(left.major - right.major) || Math.sign(left.minor - right.minor) || Math.sign(left.patch - right.patch);
  if (core !== 0) return core;
  if (left.prerelease.length === 0 || right.prerelease.length === 0) {
    return left.prerelease.length === right.prerelease.length ? 0 : left.prerelease.length === 0 ? 1 : -1;
  }
  const length = Math.max(left.prerelease.length, right.prerelease.length);
  for (let index = 0; index < length; index += 1) {
    const a = left.prerelease[index];
    const b = right.prerelease[index];
    if (a === undefined) return -1;
    if (b === undefined) return 1;
    const order = compareIdentifiers(a, b);
    if (order !== 0) return order;
  }
  return 0;
}

function versionKey(version: SemVer): string {
  const core = `${version.major}.${version.minor}.${version.patch}`;
  return version.prerelease.length === 0 ? core : `${core}-${version.prerelease.join('.')}`;
}

export interface RetentionInput {
  images: readonly RepositoryImage[];
  /** For index images: the digests of their manifests (fetched by the caller). Required for kept indexes. */
  childDigests: ReadonlyMap<string, readonly string[]>;
  /** public-retention: how many releases to keep. */
  keep: number;
  /** Digests always kept, with why (e.g. published by this run). */
  pinned?: ReadonlyMap<string, string>;
}

export interface KeptImage {
  imageDigest: string;
  tags: string[];
  reason: string;
}

export interface DeletedImage {
  imageDigest: string;
  tags: string[];
  reason: string;
  /** Its children that are deleted too; they go after it (ECR refuses to delete a referenced manifest). */
  deletedChildren: string[];
}

export interface RetentionPlan {
  /** Kept versions, newest first (canonical, without `v`). */
  keptVersions: string[];
  droppedVersions: string[];
  keep: KeptImage[];
  delete: DeletedImage[];
}

/** The index digests whose children `planRetention` needs. */
export function indexDigestsOf(images: readonly RepositoryImage[]): string[] {
  return images.filter((image) => image.imageManifestMediaType !== undefined && isIndexMediaType(image.imageManifestMediaType)).map((image) => image.imageDigest);
}

function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1');
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { images, childDigests, keep } = input;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new EcrError(`public-retention must be a positive whole number to plan retention, got ${keep}`);
  }
  const byDigest = new Map(images.map((image) => [image.imageDigest, image]));

  // Versions across all tags; one version may be spelled `1.2.3` and `v1.2.3`.
  const versions = new Map<string, SemVer>();
  for (const image of images) {
    for (const tag of image.imageTags) {
      const version = parseVersionTag(tag);
      if (version !== undefined) versions.set(versionKey(version), version);
    }
  }
  const newestFirst = [...versions.values()].sort((a, b) => compareVersions(b, a));
  const releases = newestFirst.filter((version) => version.prerelease.length === 0);
  const keptReleases = releases.slice(0, keep);
  const oldestKeptRelease = releases.length > keep ? keptReleases[keptReleases.length - 1] : undefined;
  const keptVersionKeys = new Set<string>();
  for (const version of newestFirst) {
    const isRelease = version.prerelease.length === 0;
    const kept = isRelease ? keptReleases.includes(version) : oldestKeptRelease === undefined || compareVersions(version, oldestKeptRelease) > 0;
    if (kept) keptVersionKeys.add(versionKey(version));
  }

  /** Why a plain (non-referrer) tag keeps its image, or undefined when it is a dropped version. */
  const keepReasonOfTag = (tag: string): string | undefined => {
    const version = parseVersionTag(tag);
    if (version === undefined) return `tag "${tag}" is not a version tag`;
    if (!keptVersionKeys.has(versionKey(version))) return undefined;
    return version.prerelease.length === 0
      ? `version ${tag} is among the newest ${keep}`
      : `pre-release ${tag} is newer than the oldest kept release`;
  };

  const kept = new Map<string, string>();
  const missingChildren: string[] = [];
  const keepWithChildren = (digest: string, reason: string): void => {
    if (kept.has(digest)) return;
    kept.set(digest, reason);
    const pending = [digest];
    while (pending.length > 0) {
      const parent = pending.pop() as string;
      const children = childDigests.get(parent);
      const mediaType = byDigest.get(parent)?.imageManifestMediaType;
      if (children === undefined) {
        if (mediaType !== undefined && isIndexMediaType(mediaType)) missingChildren.push(parent);
        continue;
      }
      for (const child of children) {
        if (kept.has(child)) continue;
        kept.set(child, `child of kept index ${shortDigest(parent)}`);
        pending.push(child);
      }
    }
  };

  for (const [digest, reason] of input.pinned ?? []) {
    if (byDigest.has(digest)) keepWithChildren(digest, reason);
  }
  for (const image of images) {
    for (const tag of image.imageTags) {
      if (REFERRER_TAG.test(tag)) continue;
      const reason = keepReasonOfTag(tag);
      if (reason !== undefined) {
        keepWithChildren(image.imageDigest, reason);
        break;
      }
    }
  }

  // Tagged images not kept are deleted, with untagged descendants; referrer-tagged ones are rescued
  // when their subject survives, which can rescue more, so repeat until nothing changes.
  let deleted = new Map<string, string>();
  for (;;) {
    deleted = new Map();
    for (const image of images) {
      if (image.imageTags.length === 0 || kept.has(image.imageDigest)) continue;
      const dropped = image.imageTags.filter((tag) => !REFERRER_TAG.test(tag));
      deleted.set(
        image.imageDigest,
        dropped.length > 0 ? `version ${dropped.join(', ')} is older than the newest ${keep}` : 'refers to an image that is deleted',
      );
    }
    const pending = [...deleted.keys()];
    while (pending.length > 0) {
      const parent = pending.pop() as string;
      for (const child of childDigests.get(parent) ?? []) {
        const childImage = byDigest.get(child);
        if (childImage === undefined || kept.has(child) || deleted.has(child) || childImage.imageTags.length > 0) continue;
        deleted.set(child, `child of deleted index ${shortDigest(parent)}`);
        pending.push(child);
      }
    }
    let rescued = false;
    for (const digest of deleted.keys()) {
      const image = byDigest.get(digest);
      for (const tag of image?.imageTags ?? []) {
        const subjectHex = REFERRER_TAG.exec(tag)?.[1];
        if (subjectHex === undefined) continue;
        const subject = `sha256:${subjectHex}`;
        if (!deleted.has(subject)) {
          keepWithChildren(digest, `tag "${tag}" refers to ${shortDigest(subject)}, which is not deleted`);
          rescued = true;
          break;
        }
      }
    }
    if (!rescued) break;
  }

  if (missingChildren.length > 0) {
    throw new EcrError(`Cannot plan retention: the child manifests of kept index ${missingChildren[0]} are unknown`);
  }

  const plan: RetentionPlan = {
    keptVersions: newestFirst.filter((version) => keptVersionKeys.has(versionKey(version))).map(versionKey),
    droppedVersions: newestFirst.filter((version) => !keptVersionKeys.has(versionKey(version))).map(versionKey),
    keep: [],
    delete: [],
  };
  for (const image of images) {
    const tags = [...image.imageTags];
    const deleteReason = deleted.get(image.imageDigest);
    if (deleteReason !== undefined) {
      const deletedChildren = (childDigests.get(image.imageDigest) ?? []).filter((child) => deleted.has(child));
      plan.delete.push({ imageDigest: image.imageDigest, tags, reason: deleteReason, deletedChildren });
      continue;
    }
    plan.keep.push({
      imageDigest: image.imageDigest,
      tags,
      reason: kept.get(image.imageDigest) ?? (tags.length === 0 ? 'untagged and not part of a deleted index' : 'kept'),
    });
  }
  return plan;
}

/** The digests an index manifest lists; none for anything that is not an index. */
export function indexChildDigests(manifest: Uint8Array): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(manifest).toString('utf8'));
  } catch {
    return [];
  }
  const entries = typeof parsed === 'object' && parsed !== null ? (parsed as { manifests?: unknown }).manifests : undefined;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: unknown) => {
    const digest = typeof entry === 'object' && entry !== null ? (entry as { digest?: unknown }).digest : undefined;
    return typeof digest === 'string' ? [digest] : [];
  });
}

/** Like `listPublicImages`, but undefined when the repository does not exist (yet). */
export async function listPublicImagesIfExists(client: ECRPUBLICClient, repositoryName: string, registryId?: string): Promise<RepositoryImage[] | undefined> {
  try {
    return await listPublicImages(client, repositoryName, registryId);
  } catch (error) {
    if (error instanceof EcrError && hasErrorName(error.cause, 'RepositoryNotFoundException')) return undefined;
    throw error;
  }
}

/** All images of a public repository, following pagination. */
export async function listPublicImages(client: ECRPUBLICClient, repositoryName: string, registryId?: string): Promise<RepositoryImage[]> {
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
      throw new EcrError(`Could not list the images of ECR Public repository "${repositoryName}": ${awsErrorText(error)}`, { cause: error });
    }
    for (const detail of response.imageDetails ?? []) {
      if (detail.imageDigest === undefined) continue;
      images.push({
        imageDigest: detail.imageDigest,
        imageTags: detail.imageTags ?? [],
        ...(detail.imageManifestMediaType === undefined ? {} : { imageManifestMediaType: detail.imageManifestMediaType }),
        ...(detail.imagePushedAt === undefined ? {} : { pushedAt: detail.imagePushedAt }),
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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/** One BatchDeleteImage per ≤100 digests; returns those that failed, with why ("ImageNotFound" counts as done). */
async function batchDelete(
  client: ECRPUBLICClient,
  target: { repositoryName: string; registryId?: string },
  digests: readonly string[],
): Promise<RetentionFailure[]> {
  const failed: RetentionFailure[] = [];
  for (const batch of chunks(digests, MAX_BATCH_DELETE)) {
    try {
      const response = await client.send(new BatchDeleteImageCommand({ ...target, imageIds: batch.map((imageDigest) => ({ imageDigest })) }));
      for (const failure of response.failures ?? []) {
        if (failure.failureCode === 'ImageNotFound') continue;
        const imageDigest = failure.imageId?.imageDigest ?? '(unknown digest)';
        failed.push({ imageDigest, reason: `${failure.failureCode ?? 'Failure'}: ${failure.failureReason ?? 'no reason given'}` });
      }
    } catch (error) {
      for (const imageDigest of batch) failed.push({ imageDigest, reason: awsErrorText(error) });
    }
  }
  return failed;
}

/** Deletes parents before children, and skips the children of an index that could not be deleted. */
export async function applyRetention(
  client: ECRPUBLICClient,
  repositoryName: string,
  plan: RetentionPlan,
  options: { dryRun: boolean; logger?: Logger; registryId?: string },
): Promise<RetentionResult> {
  const logger = options.logger ?? silentLogger;
  const target = { repositoryName, ...(options.registryId === undefined ? {} : { registryId: options.registryId }) };
  const result: RetentionResult = { dryRun: options.dryRun, deleted: [], failures: [], skipped: [] };
  const describeTags = (tags: readonly string[]) => (tags.length === 0 ? 'untagged' : `tags ${tags.join(', ')}`);

  if (options.dryRun) {
    for (const entry of plan.delete) logger.info(`[dry-run] would delete ${repositoryName}@${entry.imageDigest} (${describeTags(entry.tags)}): ${entry.reason}`);
    return result;
  }

  const entries = new Map(plan.delete.map((entry) => [entry.imageDigest, entry]));
  const parentsOf = new Map<string, string[]>();
  for (const entry of plan.delete) {
    for (const child of entry.deletedChildren) parentsOf.set(child, [...(parentsOf.get(child) ?? []), entry.imageDigest]);
  }
  const remaining = new Set(entries.keys());
  const skip = (digest: string): void => {
    if (!remaining.delete(digest)) return;
    result.skipped.push(digest);
    for (const child of entries.get(digest)?.deletedChildren ?? []) skip(child);
  };

  while (remaining.size > 0) {
    const wave = [...remaining].filter((digest) => !(parentsOf.get(digest) ?? []).some((parent) => remaining.has(parent)));
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
  for (const digest of result.skipped) logger.warning(`Kept ${repositoryName}@${digest}: its index could not be deleted.`);

  return result;
}
