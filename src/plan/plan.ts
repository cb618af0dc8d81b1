/** The publish plan: for every source image, its destination repository and candidate tags. */
import { formatReference, withDefaultTag, type Reference } from '../oci/reference.js';
import { destinationRepository } from './naming.js';
import { compareSemVer, type SemVer } from './semver.js';
import { decideTags, renderTags, type HeldBackTag, type RenderedTag, type TagTemplate } from './tags.js';

/** One line of the `images` input. */
export interface ImageSpec {
  readonly source: Reference;
  /** The destination name given with ` => NAME`, before the prefix. */
  readonly rename?: string;
}

export type RegistryType = 'public' | 'private';

export interface PlanOptions {
  readonly images: readonly ImageSpec[];
  readonly repositoryPrefix: string;
  readonly tagTemplates: readonly TagTemplate[];
  readonly registryType: RegistryType;
  readonly publicRegistryAlias?: string;
}

export interface PlanEntry {
  /** As given, a tag-less reference completed with `latest` (Docker's rule). */
  readonly source: Reference;
  /** The source as `registry/repository[:tag][@digest]`. */
  readonly sourceName: string;
  /** Destination repository name; the registry URL comes from ECR's `repositoryUri`. */
  readonly repository: string;
  /** Candidate tags; `decideTags` with the destination's existing tags gives the final set. */
  readonly tags: RenderedTag[];
  /** The name given with ` => NAME`, before the prefix. */
  readonly rename?: string;
  readonly notices: string[];
  /** What the user should act on, e.g. a digest-only source that moves `latest` unordered. */
  readonly warnings: string[];
}

export interface Plan {
  readonly registryType: RegistryType;
  readonly publicRegistryAlias?: string;
  readonly entries: PlanEntry[];
}

export class PlanError extends Error {
  override name = 'PlanError';
}

function sameSourceRepository(a: Reference, b: Reference): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

/**
 * Two different source repositories must not land in one destination repository: their tags
 * would overwrite each other. Several versions of one source repository may. Returns the problem
 * as one line, or undefined.
 */
export function destinationConflict(images: readonly ImageSpec[], repositoryPrefix: string): string | undefined {
  const firstByDestination = new Map<string, ImageSpec>();
  for (const image of images) {
    const destination = destinationRepository(image.source, repositoryPrefix, image.rename);
    const earlier = firstByDestination.get(destination);
    if (earlier === undefined) firstByDestination.set(destination, image);
    else if (!sameSourceRepository(earlier.source, image.source)) {
      return `${formatReference(earlier.source)} and ${formatReference(image.source)} both map to repository "${destination}"; give one of them "=> NAME"`;
    }
  }
  return undefined;
}

/** Higher precedence first; versionless sources rank below every version. */
function compareVersions(a: SemVer | undefined, b: SemVer | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  return compareSemVer(a, b);
}

/**
 * When several entries of one destination repository render the same tag (say `latest` for
 * 0.3.12 and 0.3.13), only the highest source version keeps it; the first listed wins a tie.
 */
function resolveSharedTags(entries: PlanEntry[]): void {
  const byRepository = new Map<string, PlanEntry[]>();
  for (const entry of entries)
    byRepository.set(entry.repository, [...(byRepository.get(entry.repository) ?? []), entry]);
  for (const group of byRepository.values()) {
    if (group.length < 2) continue;
    const owner = new Map<string, PlanEntry>();
    for (const entry of group) {
      for (const rendered of entry.tags) {
        const current = owner.get(rendered.tag);
        const currentVersion = current?.tags.find((t) => t.tag === rendered.tag)?.sourceVersion;
        if (current === undefined || compareVersions(rendered.sourceVersion, currentVersion) > 0)
          owner.set(rendered.tag, entry);
      }
    }
    for (const entry of group) {
      const kept = entry.tags.filter((t) => owner.get(t.tag) === entry);
      for (const dropped of entry.tags.filter((t) => owner.get(t.tag) !== entry)) {
        const winner = owner.get(dropped.tag);
        entry.notices.push(
          `Tag "${dropped.tag}" goes to ${winner?.sourceName ?? 'another image'}, not ${entry.sourceName}: both are published to "${entry.repository}"`,
        );
      }
      entry.tags.splice(0, entry.tags.length, ...kept);
    }
  }
}

function sourceKey(ref: Reference): string {
  return formatReference(ref);
}

/** A digest-only source has no version to order: its tags (`latest`, literals) move to it whatever is there. */
function unorderedTagWarnings(sourceName: string, source: Reference, tags: readonly RenderedTag[]): string[] {
  if (source.tag !== undefined || tags.length === 0) return [];
  const names = tags.map((t) => `"${t.tag}"`).join(', ');
  return [
    `${sourceName} is referenced by digest only: ${names} will point at it whatever the destination holds, with no ` +
      `version to keep a newer release there; add its tag (name:tag@digest) or leave ${names} out of tags`,
  ];
}

/**
 * Builds the plan. Pure: notices are returned, not logged. The same source listed twice with the
 * same destination is planned once; different sources in one destination repository are an error.
 */
export function buildPlan(options: PlanOptions): Plan {
  const conflict = destinationConflict(options.images, options.repositoryPrefix);
  if (conflict !== undefined) throw new PlanError(conflict);
  const seen = new Set<string>();
  const entries: PlanEntry[] = [];
  for (const image of options.images) {
    const source = withDefaultTag(image.source);
    const repository = destinationRepository(source, options.repositoryPrefix, image.rename);
    const sourceName = sourceKey(source);
    const key = `${sourceName} ${repository}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rendered = renderTags(options.tagTemplates, source.tag, sourceName);
    entries.push({
      source,
      sourceName,
      repository,
      tags: rendered.tags,
      ...(image.rename !== undefined ? { rename: image.rename } : {}),
      notices: [...rendered.notices],
      warnings: unorderedTagWarnings(sourceName, source, rendered.tags),
    });
  }
  resolveSharedTags(entries);
  return {
    registryType: options.registryType,
    ...(options.publicRegistryAlias !== undefined ? { publicRegistryAlias: options.publicRegistryAlias } : {}),
    entries,
  };
}

/** Structurally the same as `ImageKind` in src/cnb/classify.ts; `stack-image` is a build or run image. */
export type PublishKind = 'stack-image' | 'buildpack' | 'extension' | 'other' | 'builder';

const PUBLISH_RANK: Record<PublishKind, number> = {
  'stack-image': 0,
  buildpack: 1,
  extension: 1,
  other: 2,
  builder: 3,
};

/**
 * Orders images so that what others reference is written first: build/run images, then
 * buildpacks and extensions, then other images, then builders (whose run-image mirror must
 * already exist). Stable within each group.
 */
export function orderForPublish<T>(entries: readonly T[], kindOf: (entry: T) => PublishKind): T[] {
  return entries
    .map((entry, index) => ({ entry, index, rank: PUBLISH_RANK[kindOf(entry)] }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ entry }) => entry);
}

/**
 * The same order as `orderForPublish`, cut into stages: images within a stage do not depend on each
 * other and may be published at the same time; a stage starts when the one before it is done.
 */
export function publishStages<T>(entries: readonly T[], kindOf: (entry: T) => PublishKind): T[][] {
  const stages = new Map<number, T[]>();
  for (const entry of orderForPublish(entries, kindOf)) {
    const rank = PUBLISH_RANK[kindOf(entry)];
    let stage = stages.get(rank);
    if (stage === undefined) stages.set(rank, (stage = []));
    stage.push(entry);
  }
  return [...stages.values()];
}

/**
 * An image that is already in the destination registry (gate-only use) stays in its own repository, whatever its
 * depth; `registryHost` is the private registry's host.
 */
export function placeInRegistry(plan: Plan, registryHost: string, repositoryPrefix: string): Plan {
  const inPlace = (entry: PlanEntry) =>
    entry.source.registry === registryHost &&
    entry.repository === destinationRepository(entry.source, repositoryPrefix);
  return {
    ...plan,
    entries: plan.entries.map((entry) => (inPlace(entry) ? { ...entry, repository: entry.source.repository } : entry)),
  };
}

/** One image of the dry-run plan; a job matrix `include` entry. */
export interface PlanJsonEntry {
  source: string;
  /** The `images` line that publishes this image alone (` => NAME` kept), for a job of a fan-out. */
  images: string;
  repository: string;
  /** `<registry>/<repository>`, when the inputs name the registry. */
  destination?: string;
  /** The tags the real run writes into a destination that holds no newer release. */
  tags: string[];
  /** Candidate tags the real run does not write, and why (a pre-release never moves `latest`, …). */
  heldBack: HeldBackTag[];
}

/**
 * The dry-run output: one object per image, usable as a job matrix `include`. Tags are decided as the real run
 * decides them, against an empty destination: a dry run does not look at what is there.
 */
export function planToJson(plan: Plan, registry?: string): PlanJsonEntry[] {
  return plan.entries.map((entry) => {
    const decision = decideTags(entry.tags, []);
    return {
      source: entry.sourceName,
      images: entry.rename === undefined ? entry.sourceName : `${entry.sourceName} => ${entry.rename}`,
      repository: entry.repository,
      ...(registry !== undefined ? { destination: `${registry}/${entry.repository}` } : {}),
      tags: decision.apply,
      heldBack: decision.heldBack,
    };
  });
}
