/** ECR's tag mutability rules: which tags of a repository are immutable under its setting and exclusion filters. */
import type { Repository } from '@aws-sdk/client-ecr';
import type { TagMutability } from '../inputs.js';

/** A repository's `imageTagMutability` with its WILDCARD exclusion filters. */
export interface TagMutabilitySetting {
  readonly mutability: TagMutability;
  readonly exclusions: readonly string[];
}

/** ECR's WILDCARD filter: the whole tag must match; `*` stands for any run of characters, empty included. */
export function matchesTagFilter(filter: string, tag: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/** Whether ECR refuses to point `tag` at another image once it exists. */
export function isTagImmutable(setting: TagMutabilitySetting, tag: string): boolean {
  const excluded = setting.exclusions.some((filter) => matchesTagFilter(filter, tag));
  switch (setting.mutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
  }
}

/** The setting DescribeRepositories reports; a repository from before the setting existed is MUTABLE. */
export function tagMutabilityOf(repository: Repository): TagMutabilitySetting {
  return {
    mutability: (repository.imageTagMutability as TagMutability | undefined) ?? 'MUTABLE',
    exclusions: (repository.imageTagMutabilityExclusionFilters ?? []).flatMap((f) =>
      f.filterType === 'WILDCARD' && f.filter !== undefined ? [f.filter] : [],
    ),
  };
}

/** `IMMUTABLE`, or `IMMUTABLE_WITH_EXCLUSION (exclusions: latest, *.*)`, for messages. */
export function describeSetting(setting: TagMutabilitySetting): string {
  if (setting.exclusions.length === 0) return setting.mutability;
  return `${setting.mutability} with exclusions ${setting.exclusions.join(', ')}`;
}
