/** Before any write: refuse a run that would move, or leave frozen, a tag that is immutable in its private ECR repository. */
import { describeExistingRepository } from '../aws/ecr.js';
import { describeSetting, isTagImmutable, tagMutabilityOf, type TagMutabilitySetting } from '../aws/tag-mutability.js';
import { SOURCE_DIGEST_ANNOTATION } from '../cnb/builder-mirror.js';
import type { Inputs } from '../inputs.js';
import { isJsonObject, parseJsonObject } from '../oci/json.js';
import { manifestReference } from '../oci/reference.js';
import type { RegistryClient } from '../oci/registry.js';
import { TransferLimiter } from '../oci/transfer.js';
import { isPrerelease } from '../plan/semver.js';
import type { Plan, PlanEntry } from '../plan/plan.js';
import { decideTags, parseTagTemplate, type RenderedTag } from '../plan/tags.js';
import type { Connections } from './connections.js';

export class ImmutableTagError extends Error {
  override name = 'ImmutableTagError';
}

/** One tag this run would write into a repository. */
export interface TagWrite {
  readonly tag: string;
  /** Follows releases (`latest`, `0.3`, a promote tag), so every release moves it. */
  readonly moving: boolean;
  /** The narrowest WILDCARD filter covering every tag its template gives, e.g. `*.*` for `{{major}}.{{minor}}`. */
  readonly filter: string;
}

export interface RepositoryState {
  readonly name: string;
  /** Not there yet: the run would create it with the inputs' setting. */
  readonly isNew: boolean;
  readonly setting: TagMutabilitySetting;
}

/** The digest a tag holds now, and whether it is this run's image (undefined: the tag does not exist). */
export type TagHolding = { digest: string; sameImage: boolean } | undefined;

/** A moving tag's filter: each placeholder a `*` (`{{major}}.{{minor}}` → `*.*`); a fixed tag's: the tag itself. */
export function exclusionFilterFor(rendered: RenderedTag): string {
  if (!movesBetweenReleases(rendered)) return rendered.tag;
  const parts = parseTagTemplate(rendered.template).parts;
  return parts.map((part) => ('literal' in part ? part.literal : '*')).join('');
}

/** Unlike isMovingTag, a tag of a source without a version moves too: the next release writes it again. */
function movesBetweenReleases(rendered: RenderedTag): boolean {
  const release = rendered.sourceVersion !== undefined && !isPrerelease(rendered.sourceVersion);
  return rendered.scope !== 'fixed' && !(rendered.scope === 'patch' && release);
}

/** How a user allows the tag: the inputs for a repository the run creates, the repository's own setting otherwise. */
function howToAllow(repository: RepositoryState, write: TagWrite): string {
  const { mutability, exclusions } = repository.setting;
  const mutableWith = mutability === 'MUTABLE_WITH_EXCLUSION';
  const filters = mutableWith
    ? exclusions.filter((f) => !isTagImmutable({ mutability, exclusions: [f] }, write.tag))
    : [...exclusions, write.filter];
  const setting =
    mutableWith && filters.length === 0 ? 'MUTABLE' : mutableWith ? mutability : 'IMMUTABLE_WITH_EXCLUSION';
  if (repository.isNew) {
    return mutableWith
      ? `drop the exclusion that matches "${write.tag}" from image-tag-mutability-exclusions`
      : `set image-tag-mutability IMMUTABLE_WITH_EXCLUSION with "${write.filter}" in image-tag-mutability-exclusions`;
  }
  const cli = filters.map((filter) => ` filterType=WILDCARD,filter='${filter}'`).join('');
  return (
    `change the repository (the action never changes an existing one's setting): aws ecr put-image-tag-mutability ` +
    `--repository-name ${repository.name} --image-tag-mutability ${setting}` +
    (filters.length > 0 ? ` --image-tag-mutability-exclusion-filters${cli}` : '')
  );
}

/** Pure: why writing this tag is refused, as one line, or undefined when ECR would take it. */
export function tagConflict(
  repository: RepositoryState,
  write: TagWrite,
  holding: TagHolding,
  image: string,
): string | undefined {
  if (!isTagImmutable(repository.setting, write.tag)) return undefined;
  const where = `tag "${write.tag}" of ${repository.isNew ? 'new ' : ''}ECR repository "${repository.name}" is immutable (${describeSetting(repository.setting)})`;
  let why: string;
  if (holding !== undefined) {
    if (holding.sameImage) return undefined;
    why = `${where} and holds ${holding.digest}: this run would move it to ${image}`;
  } else if (write.moving) {
    why = `${where}: this run would create it for ${image} and the next release could not move it`;
  } else {
    return undefined;
  }
  return `${why}. Nothing was written. To allow it, ${howToAllow(repository, write)}; or remove "${write.tag}" from the tags.`;
}

/** The tags the run writes for one image: decided as resolve decides them, then the promote tags. */
export function tagWrites(
  entry: PlanEntry,
  existingTags: readonly string[],
  promoteTags: readonly string[],
): TagWrite[] {
  const apply = new Set(decideTags(entry.tags, existingTags).apply);
  return [
    ...entry.tags
      .filter((rendered) => apply.has(rendered.tag))
      .map((rendered) => ({
        tag: rendered.tag,
        moving: movesBetweenReleases(rendered),
        filter: exclusionFilterFor(rendered),
      })),
    ...promoteTags.map((tag) => ({ tag, moving: true, filter: tag })),
  ];
}

/**
 * Reads every destination repository's setting (DescribeRepositories; the inputs for one still to be
 * created) and the tags it holds, and throws one ImmutableTagError when the run would be refused
 * halfway. Private ECR only: ECR Public has no tag immutability.
 */
export async function checkImmutableTags(plan: Plan, connections: Connections, inputs: Inputs): Promise<void> {
  if (plan.registryType !== 'private') return;
  const names = [...new Set(plan.entries.map((entry) => entry.repository))];
  const calls = new TransferLimiter(4);
  const found = await Promise.all(
    names.map((name) => calls.run(0, () => repositoryConflicts(name, plan, connections, inputs))),
  );
  const conflicts = found.flat();
  if (conflicts.length === 0) return;
  const more = conflicts.length > 1 ? ` (${conflicts.length - 1} more tag(s) refused likewise)` : '';
  throw new ImmutableTagError(`${conflicts[0]!}${more}`);
}

async function repositoryConflicts(name: string, plan: Plan, connections: Connections, inputs: Inputs) {
  const described = await describeExistingRepository(connections.ecr, name, inputs.registryId);
  // A missing repository that may not be created fails when the repositories are ensured.
  if (described === undefined && !inputs.createRepositories) return [];
  const repository: RepositoryState = {
    name,
    isNew: described === undefined,
    setting: described
      ? tagMutabilityOf(described)
      : { mutability: inputs.imageTagMutability, exclusions: inputs.imageTagMutabilityExclusions },
  };
  if (repository.setting.mutability === 'MUTABLE') return [];
  const registry = described?.repositoryUri ? connections.destinationRegistry(described.repositoryUri) : undefined;
  const existingTags = registry === undefined ? [] : await registry.client.listTags(registry.path);
  const promoteTags = inputs.promoteTags;
  const conflicts: string[] = [];
  for (const entry of plan.entries.filter((e) => e.repository === name)) {
    let sourceDigest: string | undefined;
    for (const write of tagWrites(entry, existingTags, promoteTags)) {
      if (!isTagImmutable(repository.setting, write.tag)) continue;
      let holding: TagHolding;
      if (registry !== undefined && existingTags.includes(write.tag)) {
        const held = await registry.client.headManifest(registry.path, write.tag);
        sourceDigest ??= await headSource(entry, connections);
        if (held !== undefined)
          holding = { digest: held.digest, sameImage: await madeFrom(registry, held.digest, sourceDigest) };
      }
      const conflict = tagConflict(repository, write, holding, `${entry.sourceName} (${sourceDigest ?? 'its digest'})`);
      if (conflict !== undefined) conflicts.push(conflict);
    }
  }
  return conflicts;
}

async function headSource(entry: PlanEntry, connections: Connections): Promise<string> {
  const reference = manifestReference(entry.source);
  const head = await connections.source(entry.source.registry).headManifest(entry.source.repository, reference);
  if (head === undefined) throw new Error(`source image ${entry.sourceName} not found`);
  return head.digest;
}

/**
 * Whether the destination image is this source's: the same digest, or a builder this action made
 * from it (its platform manifests record the source digest; the mutation is deterministic).
 */
async function madeFrom(
  registry: { client: RegistryClient; path: string },
  digest: string,
  sourceDigest: string,
): Promise<boolean> {
  if (digest === sourceDigest) return true;
  const read = async (reference: string) =>
    parseJsonObject((await registry.client.getManifest(registry.path, reference)).bytes, `manifest ${reference}`);
  let manifest = await read(digest);
  const entries = manifest['manifests'];
  const first: unknown = Array.isArray(entries) ? entries[0] : undefined;
  if (isJsonObject(first) && typeof first['digest'] === 'string') manifest = await read(first['digest']);
  const annotations = manifest['annotations'];
  return isJsonObject(annotations) && annotations[SOURCE_DIGEST_ANNOTATION] === sourceDigest;
}
