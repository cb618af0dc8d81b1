/** Tag templates (`{{tag}}`, `{{major}}.{{minor}}`, `latest`, …), rendering, and moving-tag decisions. */
import { isValidTag } from '../oci/reference.js';
import { compareSemVer, formatSemVer, isPrerelease, parseSemVer, type SemVer } from './semver.js';

export type Placeholder = 'tag' | 'major' | 'minor' | 'patch';

/**
 * How far a rendered tag moves between releases:
 * - `fixed`: names exactly one version (`{{tag}}`, or major, minor and patch together); always written.
 * - `repository`: no version in it (`latest`, literals); follows the newest release of the repository.
 * - `major`: follows the newest release of its major version (`{{major}}`, `v{{major}}`).
 * - `minor`: follows the newest release of its major.minor (`{{major}}.{{minor}}`).
 * - `patch`: major, minor and patch without `{{tag}}`; fixed for releases, moving for pre-releases.
 */
export type TagScope = 'fixed' | 'repository' | 'major' | 'minor' | 'patch';

export interface TagTemplate {
  /** The template as written. */
  readonly text: string;
  readonly parts: readonly ({ literal: string } | { placeholder: Placeholder })[];
  readonly placeholders: ReadonlySet<Placeholder>;
}

export class TagTemplateError extends Error {
  override name = 'TagTemplateError';
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const KNOWN: ReadonlySet<string> = new Set<Placeholder>(['tag', 'major', 'minor', 'patch']);

export function parseTagTemplate(text: string): TagTemplate {
  const parts: ({ literal: string } | { placeholder: Placeholder })[] = [];
  const placeholders = new Set<Placeholder>();
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').toLowerCase();
    if (!KNOWN.has(name)) {
      throw new TagTemplateError(
        `unknown placeholder "${match[0]}" in "${text}"; use {{tag}}, {{major}}, {{minor}} or {{patch}}`,
      );
    }
    if (match.index > last) parts.push({ literal: text.slice(last, match.index) });
    parts.push({ placeholder: name as Placeholder });
    placeholders.add(name as Placeholder);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  // Placeholders render to tag characters, so a stand-in shows whether the literals fit a tag.
  const sample = parts.map((part) => ('literal' in part ? part.literal : '0')).join('');
  if (!isValidTag(sample)) {
    throw new TagTemplateError(
      `"${text}" cannot give a valid tag (letters, digits, _ . - and at most 128 characters, not starting with . or -)`,
    );
  }
  return { text, parts, placeholders };
}

export function scopeOf(template: TagTemplate): TagScope {
  const has = (p: Placeholder): boolean => template.placeholders.has(p);
  if (has('tag')) return 'fixed';
  if (has('major') && has('minor') && has('patch')) return 'patch';
  if (has('major') && has('minor')) return 'minor';
  if (has('major')) return 'major';
  // `{{minor}}` or `{{patch}}` without the major says nothing narrower than the whole repository.
  return 'repository';
}

export interface RenderedTag {
  readonly tag: string;
  /** The template that gave this tag. */
  readonly template: string;
  readonly scope: TagScope;
  /** The source version, when the source tag is a semantic version. */
  readonly sourceVersion?: SemVer;
}

export interface RenderResult {
  readonly tags: RenderedTag[];
  /** Why templates were skipped, one line each. */
  readonly notices: string[];
}

/**
 * Renders every template for one source tag (undefined for a digest-only source). Templates that
 * cannot be rendered are skipped with a notice; duplicates keep their first position, and a tag
 * that any template names exactly is fixed.
 */
export function renderTags(
  templates: readonly TagTemplate[],
  sourceTag: string | undefined,
  sourceName: string,
): RenderResult {
  const version = sourceTag === undefined ? undefined : parseSemVer(sourceTag);
  const values: Record<Placeholder, string | undefined> = {
    tag: sourceTag,
    major: version && String(version.major),
    minor: version && String(version.minor),
    patch: version && String(version.patch),
  };
  const tags: RenderedTag[] = [];
  const notices: string[] = [];
  for (const template of templates) {
    const missing = [...template.placeholders].filter((p) => values[p] === undefined);
    if (missing.length > 0) {
      const why =
        sourceTag === undefined
          ? 'the source is referenced by digest only and has no tag'
          : `source tag "${sourceTag}" is not a semantic version`;
      notices.push(`Tag template "${template.text}" skipped for ${sourceName}: ${why}`);
      continue;
    }
    const tag = template.parts.map((part) => ('literal' in part ? part.literal : values[part.placeholder])).join('');
    if (!isValidTag(tag)) {
      notices.push(`Tag template "${template.text}" skipped for ${sourceName}: "${tag}" is not a valid tag`);
      continue;
    }
    const scope = scopeOf(template);
    const rendered: RenderedTag = {
      tag,
      template: template.text,
      scope,
      ...(version ? { sourceVersion: version } : {}),
    };
    const earlier = tags.findIndex((t) => t.tag === tag);
    if (earlier < 0) tags.push(rendered);
    else if (scope === 'fixed' && tags[earlier]?.scope !== 'fixed') tags[earlier] = rendered;
  }
  return { tags, notices };
}

export interface HeldBackTag {
  readonly tag: string;
  readonly reason: string;
}

export interface TagDecision {
  /** Tags to write, in template order. */
  readonly apply: string[];
  readonly heldBack: HeldBackTag[];
}

function sameScope(scope: TagScope, source: SemVer, other: SemVer): boolean {
  switch (scope) {
    case 'major':
      return other.major === source.major;
    case 'minor':
      return other.major === source.major && other.minor === source.minor;
    case 'patch':
      return other.major === source.major && other.minor === source.minor && other.patch === source.patch;
    default:
      return true;
  }
}

const SCOPE_WORDS: Record<TagScope, string> = {
  fixed: '',
  repository: 'the repository',
  major: 'its major version',
  minor: 'its minor version',
  patch: 'its version',
};

/** A tag that follows releases (`latest`, `0.3`, …) rather than naming one version. */
export function isMovingTag(candidate: RenderedTag): boolean {
  const source = candidate.sourceVersion;
  return !(
    candidate.scope === 'fixed' ||
    (candidate.scope === 'patch' && source !== undefined && !isPrerelease(source)) ||
    source === undefined
  );
}

/** The destination's newest release tag in the candidate's scope, or undefined when there is none. */
export function newestReleaseInScope(
  candidate: RenderedTag,
  existingTags: readonly string[],
): { tag: string; version: SemVer } | undefined {
  const source = candidate.sourceVersion;
  if (source === undefined) return undefined;
  let newest: { tag: string; version: SemVer } | undefined;
  for (const tag of existingTags) {
    const version = parseSemVer(tag);
    if (version === undefined || isPrerelease(version) || !sameScope(candidate.scope, source, version)) continue;
    if (newest === undefined || compareSemVer(version, newest.version) > 0) newest = { tag, version };
  }
  return newest;
}

/**
 * Keeps moving tags from going backwards. A moving tag is written only when the source version is
 * at least the newest release among the destination's existing semver tags in the tag's scope, so
 * publishing 0.3.12 after 0.3.13 writes `0.3.12` but moves neither `latest` nor `0.3`.
 * Pre-releases never move moving tags, and existing pre-release tags do not hold a release back:
 * moving tags follow releases only. A source without a version cannot be ordered, so its moving
 * tags are written as asked.
 */
export function decideTags(rendered: readonly RenderedTag[], existingTags: readonly string[]): TagDecision {
  const apply: string[] = [];
  const heldBack: HeldBackTag[] = [];
  for (const candidate of rendered) {
    const source = candidate.sourceVersion;
    if (source === undefined || !isMovingTag(candidate)) {
      apply.push(candidate.tag);
      continue;
    }
    if (isPrerelease(source)) {
      heldBack.push({
        tag: candidate.tag,
        reason: `${formatSemVer(source)} is a pre-release; moving tags follow releases only`,
      });
      continue;
    }
    const newest = newestReleaseInScope(candidate, existingTags);
    if (newest !== undefined && compareSemVer(source, newest.version) < 0) {
      heldBack.push({
        tag: candidate.tag,
        reason: `${formatSemVer(source)} is older than ${newest.tag}, the newest release of ${SCOPE_WORDS[candidate.scope]} in the destination`,
      });
      continue;
    }
    apply.push(candidate.tag);
  }
  return { apply, heldBack };
}
