/** ECR's tag mutability in the emulator: CreateRepository's checks of the setting and its exclusion filters, and which tags are immutable. */
import { AwsError } from './http.js';
import type { EmulatedRepository } from './repositories.js';

export const TAG_MUTABILITIES = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'] as const;
export type TagMutability = (typeof TAG_MUTABILITIES)[number];

export interface ExclusionFilter {
  filterType: 'WILDCARD';
  filter: string;
}

// API reference, ImageTagMutabilityExclusionFilter and CreateRepository: 1 to 5 filters of this pattern.
const FILTER_PATTERN = /^[0-9a-zA-Z._*-]{1,128}$/;
const MAX_FILTERS = 5;

function validationError(value: string, where: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${where}' failed to satisfy constraint: ${constraint}`,
  );
}

/** The setting and filters of a CreateRepository request, checked as ECR checks them. */
export function readTagMutability(params: Record<string, unknown>): {
  imageTagMutability: TagMutability;
  imageTagMutabilityExclusionFilters?: ExclusionFilter[];
} {
  const mutability = params.imageTagMutability ?? 'MUTABLE';
  if (typeof mutability !== 'string' || !(TAG_MUTABILITIES as readonly string[]).includes(mutability)) {
    throw validationError(
      String(mutability),
      'imageTagMutability',
      `Member must satisfy enum value set: [${TAG_MUTABILITIES.join(', ')}]`,
    );
  }
  const raw = params.imageTagMutabilityExclusionFilters;
  if (raw !== undefined && raw !== null && !Array.isArray(raw))
    throw new AwsError('SerializationException', 'imageTagMutabilityExclusionFilters must be a list');
  const list = (raw ?? []) as unknown[];
  if (raw !== undefined && raw !== null && (list.length < 1 || list.length > MAX_FILTERS)) {
    throw validationError(
      JSON.stringify(list),
      'imageTagMutabilityExclusionFilters',
      `Member must have length ${list.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_FILTERS}`}`,
    );
  }
  const filters = list.map((entry, index): ExclusionFilter => {
    const { filterType, filter } = (entry ?? {}) as { filterType?: unknown; filter?: unknown };
    const at = `imageTagMutabilityExclusionFilters.${index + 1}.member`;
    if (filterType !== 'WILDCARD')
      throw validationError(String(filterType), `${at}.filterType`, 'Member must satisfy enum value set: [WILDCARD]');
    if (typeof filter !== 'string' || !FILTER_PATTERN.test(filter))
      throw validationError(
        String(filter),
        `${at}.filter`,
        `Member must satisfy regular expression pattern: ${FILTER_PATTERN.source}`,
      );
    return { filterType, filter };
  });
  const withExclusion = mutability.endsWith('_WITH_EXCLUSION');
  if (withExclusion && filters.length === 0) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Image tag mutability exclusion filters are required for ${mutability}'`,
    );
  }
  if (!withExclusion && filters.length > 0) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Image tag mutability exclusion filters can only be specified with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION'`,
    );
  }
  return {
    imageTagMutability: mutability as TagMutability,
    ...(filters.length > 0 ? { imageTagMutabilityExclusionFilters: filters } : {}),
  };
}

/** Whole-tag wildcard match, `*` any run of characters (empty too); written apart from the action's own matcher. */
export function wildcardMatches(filter: string, tag: string): boolean {
  const [first = '', ...rest] = filter.split('*');
  if (rest.length === 0) return filter === tag;
  if (!tag.startsWith(first)) return false;
  const last = rest.pop() ?? '';
  let at = first.length;
  for (const part of rest) {
    const found = tag.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return tag.length - last.length >= at && tag.endsWith(last);
}

/** Whether ECR refuses to point this existing tag of the repository at another image. */
export function tagIsImmutable(repository: EmulatedRepository, tag: string): boolean {
  const matched = (repository.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatches(f.filter, tag));
  switch (repository.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matched;
    case 'MUTABLE_WITH_EXCLUSION':
      return matched;
    default:
      return false;
  }
}

/** ECR's words, in PutImage's ImageTagAlreadyExistsException and in the registry API's TAG_INVALID. */
export function immutableTagMessage(tag: string, repositoryName: string): string {
  return `The image tag '${tag}' already exists in the '${repositoryName}' repository and cannot be overwritten because the tag is immutable.`;
}
