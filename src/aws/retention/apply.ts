/** Carries out a retention plan on ECR Public: tags first, then untagged children that nothing needs any more. */
import type { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { isIndexMediaType } from '../../oci/media-types.js';
import { silentLogger, type Logger } from '../../runtime.js';
import {
  batchDelete,
  listPublicImages,
  type RetentionFailure,
  type RetentionResult,
  type Target,
} from './ecr-public.js';
import type { DeletedImage, RepositoryImage, RetentionPlan } from './plan.js';

export interface ApplyOptions {
  dryRun: boolean;
  logger?: Logger;
  registryId?: string;
  /** Child digests of the indexes the plan was made from. */
  childDigests?: ReadonlyMap<string, readonly string[]>;
  /** Reads the children of an index that appeared after the listing; without it, such an index blocks every child delete. */
  readChildren?: (digest: string) => Promise<readonly string[]>;
}

interface Deletion {
  client: ECRPUBLICClient;
  target: Target;
  logger: Logger;
  result: RetentionResult;
  entries: ReadonlyMap<string, DeletedImage>;
}

function describeTags(tags: readonly string[]): string {
  return tags.length === 0 ? 'untagged' : `tags ${tags.join(', ')}`;
}

function deleted(deletion: Deletion, digest: string): void {
  const { target, result, logger } = deletion;
  const entry = deletion.entries.get(digest);
  result.deleted.push(digest);
  logger.info(
    `Deleted ${target.repositoryName}@${digest} (${describeTags(entry?.tags ?? [])}): ${entry?.reason ?? ''}`,
  );
}

function failed(deletion: Deletion, failure: RetentionFailure): void {
  deletion.result.failures.push(failure);
  deletion.logger.warning(
    `Could not delete ${deletion.target.repositoryName}@${failure.imageDigest}: ${failure.reason}`,
  );
}

function skipped(deletion: Deletion, digest: string, why: string): void {
  deletion.result.skipped.push(digest);
  deletion.logger.warning(`Kept ${deletion.target.repositoryName}@${digest}: ${why}.`);
}

/**
 * Removes the dropped tags, by tag: ECR deletes an image when its last tag goes, so an image that
 * another run tagged after the listing keeps that tag and stays. Returns the digests whose tag delete failed.
 */
async function deleteTags(deletion: Deletion, tagged: readonly DeletedImage[]): Promise<Set<string>> {
  const digestOfTag = new Map(tagged.flatMap((entry) => entry.tags.map((tag) => [tag, entry.imageDigest] as const)));
  const ids = [...digestOfTag.keys()].map((imageTag) => ({ imageTag }));
  const failures = await batchDelete(deletion.client, deletion.target, ids);
  const failedDigests = new Set<string>();
  for (const failure of failures) {
    const tag = failure.imageId.imageTag;
    const byTag = tag === undefined ? undefined : digestOfTag.get(tag);
    const imageDigest = byTag ?? failure.imageId.imageDigest ?? '(unknown)';
    failedDigests.add(imageDigest);
    failed(deletion, { imageDigest, reason: `tag ${tag ?? '?'}: ${failure.reason}` });
  }
  return failedDigests;
}

/** The children of every index that stays; a new index is read, and unreadable means "references everything". */
async function referencedByRemaining(
  remaining: readonly RepositoryImage[],
  candidates: ReadonlySet<string>,
  childrenOf: (digest: string) => Promise<readonly string[]> | undefined,
): Promise<Set<string> | 'all'> {
  const referenced = new Set<string>();
  for (const image of remaining) {
    if (candidates.has(image.imageDigest)) continue;
    if (!isIndexMediaType(image.imageManifestMediaType ?? '')) continue;
    const children = childrenOf(image.imageDigest);
    if (children === undefined) return 'all';
    for (const child of await children) referenced.add(child);
  }
  return referenced;
}

/** What the tag deletes did: an image still listed gained a tag after the listing (or its tag delete failed). */
function tagOutcomes(
  deletion: Deletion,
  tagged: readonly DeletedImage[],
  failedTags: ReadonlySet<string>,
  now: ReadonlyMap<string, RepositoryImage>,
): void {
  for (const { imageDigest } of tagged) {
    if (failedTags.has(imageDigest)) continue;
    const image = now.get(imageDigest);
    if (image === undefined) deleted(deletion, imageDigest);
    else skipped(deletion, imageDigest, `tagged ${image.imageTags.join(', ') || '(none)'} since it was listed`);
  }
}

/**
 * The untagged children to delete by digest: in the listing taken after the tags went, each must still
 * be untagged and no image that stays (a surviving or new index) may reference it. Gone ones count as deleted.
 */
async function safeChildren(
  deletion: Deletion,
  untagged: readonly DeletedImage[],
  listed: readonly RepositoryImage[],
  options: ApplyOptions,
): Promise<string[]> {
  const now = new Map(listed.map((image) => [image.imageDigest, image]));
  const safe = new Set<string>();
  for (const { imageDigest } of untagged) {
    const image = now.get(imageDigest);
    if (image === undefined) deleted(deletion, imageDigest);
    else if (image.imageTags.length > 0)
      skipped(deletion, imageDigest, `tagged ${image.imageTags.join(', ')} since listed`);
    else safe.add(imageDigest);
  }
  const read = new Map<string, Promise<readonly string[]>>();
  const childrenOf = (digest: string): Promise<readonly string[]> | undefined => {
    const known = options.childDigests?.get(digest);
    if (known !== undefined) return Promise.resolve(known);
    if (options.readChildren === undefined) return undefined;
    if (!read.has(digest)) read.set(digest, options.readChildren(digest));
    return read.get(digest);
  };
  // What an unsafe candidate references stays too, so repeat until nothing changes.
  for (let changed = safe.size > 0; changed;) {
    changed = false;
    const referenced = await referencedByRemaining(listed, safe, childrenOf);
    for (const digest of [...safe]) {
      if (referenced !== 'all' && !referenced.has(digest)) continue;
      safe.delete(digest);
      skipped(deletion, digest, 'an image that stays still references it');
      changed = true;
    }
  }
  return [...safe];
}

/** Deletes by digest in waves, parents before children; the children of a failed parent are skipped. */
async function deleteChildren(deletion: Deletion, digests: readonly string[]): Promise<void> {
  const remaining = new Set(digests);
  const parentsOf = new Map<string, string[]>();
  for (const entry of deletion.entries.values()) {
    for (const child of entry.deletedChildren)
      parentsOf.set(child, [...(parentsOf.get(child) ?? []), entry.imageDigest]);
  }
  const skip = (digest: string): void => {
    if (!remaining.delete(digest)) return;
    skipped(deletion, digest, 'its index could not be deleted');
    for (const child of deletion.entries.get(digest)?.deletedChildren ?? []) skip(child);
  };
  while (remaining.size > 0) {
    const wave = [...remaining].filter(
      (digest) => !(parentsOf.get(digest) ?? []).some((parent) => remaining.has(parent)),
    );
    if (wave.length === 0) {
      for (const digest of [...remaining]) skip(digest);
      break;
    }
    const failures = await batchDelete(
      deletion.client,
      deletion.target,
      wave.map((imageDigest) => ({ imageDigest })),
    );
    const failedDigests = new Map(failures.map((failure) => [failure.imageId.imageDigest ?? '?', failure.reason]));
    for (const digest of wave) {
      remaining.delete(digest);
      if (!failedDigests.has(digest)) deleted(deletion, digest);
    }
    for (const [imageDigest, reason] of failedDigests) {
      failed(deletion, { imageDigest, reason });
      for (const child of deletion.entries.get(imageDigest)?.deletedChildren ?? []) skip(child);
    }
  }
}

/**
 * Carries out a retention plan; in a dry run, only logs what it would delete.
 * Tagged images go by tag (never by digest: a tag another run added meanwhile must survive). Their
 * untagged children (platform manifests, attestations) go by digest, but only after a fresh listing
 * shows them still untagged and unreferenced. A version tag moved onto another image between the
 * listing and the delete would be removed from that image; this action never moves version tags.
 */
export async function applyRetention(
  client: ECRPUBLICClient,
  repositoryName: string,
  plan: RetentionPlan,
  options: ApplyOptions,
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
  if (plan.delete.length === 0) return result;
  const entries = new Map(plan.delete.map((entry) => [entry.imageDigest, entry] as const));
  const deletion: Deletion = { client, target, logger, result, entries };
  const tagged = plan.delete.filter((entry) => entry.tags.length > 0);
  const untagged = plan.delete.filter((entry) => entry.tags.length === 0);
  const failedTags = await deleteTags(deletion, tagged);
  // One fresh listing answers both: which images really went, and which children nothing needs any more.
  const listed = await listPublicImages(client, repositoryName, registryId);
  tagOutcomes(deletion, tagged, failedTags, new Map(listed.map((image) => [image.imageDigest, image])));
  await deleteChildren(deletion, await safeChildren(deletion, untagged, listed, options));
  return result;
}
