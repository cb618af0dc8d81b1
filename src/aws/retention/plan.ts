/** public-retention's pure plan: which ECR Public images to keep and delete, never what a kept tag or index needs. */
import { isIndexMediaType } from '../../oci/media-types.js';
import { compareSemVer, formatSemVer, isPrerelease, parseSemVer, type SemVer } from '../../plan/semver.js';
import { EcrError } from '../sdk.js';

export interface RepositoryImage {
  imageDigest: string;
  imageTags: readonly string[];
  imageManifestMediaType?: string;
  pushedAt?: Date;
}

export interface RetentionInput {
  images: readonly RepositoryImage[];
  /** For index images: the digests of their manifests (fetched by the caller). Required for kept indexes. */
  childDigests: ReadonlyMap<string, readonly string[]>;
  /** public-retention: how many releases to keep. */
  keep: number;
  /** Digests always kept, with why (e.g. published by this run). */
  pinned?: ReadonlyMap<string, string>;
  /** Tags whose image is always kept, with why (e.g. a kept builder names it as its run-image mirror). */
  pinnedTags?: ReadonlyMap<string, string>;
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

const REFERRER_TAG = /^sha256-([a-f0-9]{64})(?:\.[A-Za-z0-9_.-]+)?$/;

/** A version tag is full semver, optionally `v`-prefixed, without build metadata; anything else is undefined. */
export function versionOfTag(tag: string): SemVer | undefined {
  return parseSemVer(tag, { build: false });
}

/** The index digests whose children `planRetention` needs. */
export function indexDigestsOf(images: readonly RepositoryImage[]): string[] {
  return images.filter((image) => isIndex(image.imageManifestMediaType)).map((image) => image.imageDigest);
}

function isIndex(mediaType: string | undefined): boolean {
  return mediaType !== undefined && isIndexMediaType(mediaType);
}

function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1');
}

/** The repository as a graph, and what the plan has decided so far. */
interface Planning {
  readonly images: readonly RepositoryImage[];
  readonly byDigest: ReadonlyMap<string, RepositoryImage>;
  readonly childDigests: ReadonlyMap<string, readonly string[]>;
  readonly keep: number;
  /** Kept digests, with why. */
  readonly kept: Map<string, string>;
  /** Kept indexes whose children are unknown: planning them would be unsafe. */
  readonly missingChildren: string[];
}

interface VersionChoice {
  /** Every version found in a tag, newest first; one version may be spelled `1.2.3` and `v1.2.3`. */
  newestFirst: SemVer[];
  /** `formatSemVer` of each kept version. */
  kept: Set<string>;
}

/**
 * The newest `keep` releases; pre-releases do not count toward it, and one is kept when it is newer
 * than the oldest kept release (or when no release was dropped), so old release candidates go and an
 * in-flight one stays. Order is semver precedence, never push time.
 */
function chooseVersions(images: readonly RepositoryImage[], keep: number): VersionChoice {
  const versions = new Map<string, SemVer>();
  for (const tag of images.flatMap((image) => image.imageTags)) {
    const version = versionOfTag(tag);
    if (version !== undefined) versions.set(formatSemVer(version), version);
  }
  const newestFirst = [...versions.values()].sort((a, b) => compareSemVer(b, a));
  const releases = newestFirst.filter((version) => !isPrerelease(version));
  const keptReleases = releases.slice(0, keep);
  const oldestKeptRelease = releases.length > keep ? keptReleases[keptReleases.length - 1] : undefined;
  const kept = new Set<string>();
  for (const version of newestFirst) {
    const keepIt = isPrerelease(version)
      ? oldestKeptRelease === undefined || compareSemVer(version, oldestKeptRelease) > 0
      : keptReleases.includes(version);
    if (keepIt) kept.add(formatSemVer(version));
  }
  return { newestFirst, kept };
}

/** Why a plain (non-referrer) tag keeps its image, or undefined when it is a dropped version. */
function keepReasonOfTag(tag: string, versions: VersionChoice, keep: number): string | undefined {
  const version = versionOfTag(tag);
  if (version === undefined) return `tag "${tag}" is not a version tag`;
  if (!versions.kept.has(formatSemVer(version))) return undefined;
  return isPrerelease(version)
    ? `pre-release ${tag} is newer than the oldest kept release`
    : `version ${tag} is among the newest ${keep}`;
}

/** Keeps an image and, transitively, the children of a kept index. */
function keepWithChildren(planning: Planning, digest: string, reason: string): void {
  const { kept, childDigests } = planning;
  if (kept.has(digest)) return;
  kept.set(digest, reason);
  const pending = [digest];
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    const children = childDigests.get(parent);
    if (children === undefined) {
      if (isIndex(planning.byDigest.get(parent)?.imageManifestMediaType)) planning.missingChildren.push(parent);
      continue;
    }
    for (const child of children) {
      if (kept.has(child)) continue;
      kept.set(child, `child of kept index ${shortDigest(parent)}`);
      pending.push(child);
    }
  }
}

/** Pinned images (just published, or named by a kept builder) stay even when old; then every image a kept tag names. */
function keepPinnedAndTagged(planning: Planning, input: RetentionInput, versions: VersionChoice): void {
  for (const [digest, reason] of input.pinned ?? []) {
    if (planning.byDigest.has(digest)) keepWithChildren(planning, digest, reason);
  }
  const pinnedTags = input.pinnedTags ?? new Map<string, string>();
  for (const image of planning.images) {
    for (const tag of image.imageTags) {
      if (REFERRER_TAG.test(tag)) continue;
      const reason = pinnedTags.get(tag) ?? keepReasonOfTag(tag, versions, planning.keep);
      if (reason !== undefined) {
        keepWithChildren(planning, image.imageDigest, reason);
        break;
      }
    }
  }
}

/** Tagged images not kept, with the untagged descendants only they need; digest → why. */
function deletions(planning: Planning): Map<string, string> {
  const { images, byDigest, childDigests, kept, keep } = planning;
  const deleted = new Map<string, string>();
  for (const image of images) {
    if (image.imageTags.length === 0 || kept.has(image.imageDigest)) continue;
    const dropped = image.imageTags.filter((tag) => !REFERRER_TAG.test(tag));
    const reason =
      dropped.length > 0
        ? `version ${dropped.join(', ')} is older than the newest ${keep}`
        : 'refers to an image that is deleted';
    deleted.set(image.imageDigest, reason);
  }
  const pending = [...deleted.keys()];
  for (let parent = pending.pop(); parent !== undefined; parent = pending.pop()) {
    for (const child of childDigests.get(parent) ?? []) {
      const childImage = byDigest.get(child);
      if (childImage === undefined || kept.has(child) || deleted.has(child)) continue;
      if (childImage.imageTags.length > 0) continue; // a tagged child stands or falls by its own tags
      deleted.set(child, `child of deleted index ${shortDigest(parent)}`);
      pending.push(child);
    }
  }
  return deleted;
}

/** Keeps referrer-tagged images (`sha256-<hex>.sig`, …) whose subject is not deleted; true when any was. */
function rescueReferrers(planning: Planning, deleted: ReadonlyMap<string, string>): boolean {
  let rescued = false;
  for (const digest of deleted.keys()) {
    for (const tag of planning.byDigest.get(digest)?.imageTags ?? []) {
      const subjectHex = REFERRER_TAG.exec(tag)?.[1];
      if (subjectHex === undefined) continue;
      const subject = `sha256:${subjectHex}`;
      if (!deleted.has(subject)) {
        keepWithChildren(planning, digest, `tag "${tag}" refers to ${shortDigest(subject)}, which is not deleted`);
        rescued = true;
        break;
      }
    }
  }
  return rescued;
}

function assemblePlan(
  planning: Planning,
  versions: VersionChoice,
  deleted: ReadonlyMap<string, string>,
): RetentionPlan {
  const names = versions.newestFirst.map(formatSemVer);
  const plan: RetentionPlan = {
    keptVersions: names.filter((name) => versions.kept.has(name)),
    droppedVersions: names.filter((name) => !versions.kept.has(name)),
    keep: [],
    delete: [],
  };
  for (const image of planning.images) {
    const tags = [...image.imageTags];
    const deleteReason = deleted.get(image.imageDigest);
    if (deleteReason !== undefined) {
      const children = planning.childDigests.get(image.imageDigest) ?? [];
      const deletedChildren = children.filter((child) => deleted.has(child));
      plan.delete.push({ imageDigest: image.imageDigest, tags, reason: deleteReason, deletedChildren });
      continue;
    }
    const fallback = tags.length === 0 ? 'untagged and not part of a deleted index' : 'kept';
    plan.keep.push({ imageDigest: image.imageDigest, tags, reason: planning.kept.get(image.imageDigest) ?? fallback });
  }
  return plan;
}

/**
 * ECR Public has no lifecycle policies, so we keep the newest N semver versions ourselves.
 * Safety first: an image is deleted only when nothing that stays needs it.
 * - Versions: see `versionOfTag` and `chooseVersions`; `1.2.3` and `v1.2.3` are the same version.
 * - Every other tag (`latest`, floats like `0.3` or `1`, `sha-abc`, …) is always kept.
 * - Cosign-style `sha256-<hex>.sig/.att/.sbom` tags follow their subject: dropped only when the
 *   subject is deleted.
 * - An image is kept when any kept tag points at it, or it is (transitively) a child of a kept index.
 * - An untagged image is deleted only as the child of a deleted index; other untagged images
 *   (e.g. OCI referrers) are left alone.
 * - A dropped version tag on a kept image stays: removing it would free nothing and break pulls.
 * - Pinned images (those the current run just published) are kept with their children, even when
 *   their only version is old: a backfill must not be undone by the run that made it. So are images
 *   a pinned tag names (a kept builder's run-image mirror): deleting them would break that builder.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const { images, childDigests, keep } = input;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new EcrError(`public-retention must be a positive whole number to plan retention, got ${keep}`);
  }
  const byDigest = new Map(images.map((image) => [image.imageDigest, image]));
  const planning: Planning = { images, byDigest, childDigests, keep, kept: new Map(), missingChildren: [] };
  const versions = chooseVersions(images, keep);
  keepPinnedAndTagged(planning, input, versions);

  // A rescued referrer can keep more (its children, other referrers), so repeat until nothing changes.
  let deleted = deletions(planning);
  while (rescueReferrers(planning, deleted)) deleted = deletions(planning);

  if (planning.missingChildren.length > 0) {
    const index = planning.missingChildren[0];
    throw new EcrError(`Cannot plan retention: the child manifests of kept index ${index} are unknown`);
  }
  return assemblePlan(planning, versions, deleted);
}
