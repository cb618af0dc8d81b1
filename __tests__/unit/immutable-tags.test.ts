import { describe, expect, it } from '@jest/globals';
import { isTagImmutable, matchesTagFilter, type TagMutabilitySetting } from '../../src/aws/tag-mutability.js';
import {
  exclusionFilterFor,
  tagConflict,
  tagWrites,
  type RepositoryState,
  type TagWrite,
} from '../../src/publish/immutable-tags.js';
import { parseReference } from '../../src/oci/reference.js';
import type { PlanEntry } from '../../src/plan/plan.js';
import { parseTagTemplate, renderTags } from '../../src/plan/tags.js';

const DEFAULT_TAGS = ['{{tag}}', 'latest', '{{major}}.{{minor}}'];
const render = (sourceTag: string | undefined, texts = DEFAULT_TAGS) =>
  renderTags(texts.map(parseTagTemplate), sourceTag, 'docker.io/p/run').tags;
const entry = (sourceTag: string, texts = DEFAULT_TAGS): PlanEntry => ({
  source: parseReference(`docker.io/p/run:${sourceTag}`),
  sourceName: `docker.io/p/run:${sourceTag}`,
  repository: 'buildpacks/run',
  tags: render(sourceTag, texts),
  notices: [],
  warnings: [],
});
const setting = (mutability: TagMutabilitySetting['mutability'], ...exclusions: string[]) => ({
  mutability,
  exclusions,
});
const repo = (s: TagMutabilitySetting, isNew = false): RepositoryState => ({
  name: 'buildpacks/run',
  isNew,
  setting: s,
});
const latest: TagWrite = { tag: 'latest', moving: true, filter: 'latest' };
const minor: TagWrite = { tag: '0.3', moving: true, filter: '*.*' };
const fixed: TagWrite = { tag: '0.3.13', moving: false, filter: '0.3.13' };
const OLD = `sha256:${'a'.repeat(64)}`;

describe('ECR wildcard exclusion filters', () => {
  it.each([
    ['latest', 'latest', true],
    ['latest', 'latest-1', false],
    ['latest', 'xlatest', false],
    ['*', 'anything', true],
    ['*.*', '0.3', true],
    // `*` spans dots too: `*.*` also exempts 0.3.13.
    ['*.*', '0.3.13', true],
    ['*.*', 'latest', false],
    ['*.*-stable', '0.3-stable', true],
    ['*.*-stable', '0.3', false],
    ['dev-*', 'dev-', true],
    ['dev-*', 'dev-feature', true],
    ['dev-*', 'prod-dev-x', false],
    ['v*', 'v1', true],
    ['0.3.*', '0.3.13', true],
    ['0.3.*', '0x3.13', false],
  ])('%s matches %s: %s', (filter, tag, expected) => {
    expect(matchesTagFilter(filter, tag)).toBe(expected);
  });

  it('applies the four settings as ECR does', () => {
    expect(isTagImmutable(setting('MUTABLE'), 'latest')).toBe(false);
    expect(isTagImmutable(setting('IMMUTABLE'), 'latest')).toBe(true);
    expect(isTagImmutable(setting('IMMUTABLE_WITH_EXCLUSION', 'latest'), 'latest')).toBe(false);
    expect(isTagImmutable(setting('IMMUTABLE_WITH_EXCLUSION', 'latest'), '0.3.13')).toBe(true);
    expect(isTagImmutable(setting('MUTABLE_WITH_EXCLUSION', '*.*.*'), '0.3.13')).toBe(true);
    expect(isTagImmutable(setting('MUTABLE_WITH_EXCLUSION', '*.*.*'), 'latest')).toBe(false);
  });
});

describe('the exclusion filter suggested for a tag', () => {
  it('is the literal for latest, a wildcard per placeholder for a moving template, the tag for a fixed one', () => {
    const tags = render('0.3.13', [
      '{{tag}}',
      'latest',
      '{{major}}.{{minor}}',
      'v{{major}}',
      '{{major}}.{{minor}}-jammy',
    ]);
    expect(tags.map(exclusionFilterFor)).toEqual(['0.3.13', 'latest', '*.*', 'v*', '*.*-jammy']);
  });
});

describe('tagWrites: the tags a run writes, decided like resolve', () => {
  it('holds back moving tags for an older release, and adds promote tags as moving', () => {
    expect(tagWrites(entry('0.3.12'), ['0.3.13', 'latest', '0.3'], ['prod'])).toEqual([
      { tag: '0.3.12', moving: false, filter: '0.3.12' },
      { tag: 'prod', moving: true, filter: 'prod' },
    ]);
    expect(tagWrites(entry('0.3.14'), ['0.3.13', 'latest', '0.3'], []).map((w) => [w.tag, w.moving])).toEqual([
      ['0.3.14', false],
      ['latest', true],
      ['0.3', true],
    ]);
  });
});

describe('tagConflict', () => {
  const image = 'docker.io/p/run:0.3.14 (sha256:bbb)';

  it('refuses moving an immutable tag, naming repository, tag, setting and the filter that allows it', () => {
    const line = tagConflict(repo(setting('IMMUTABLE')), latest, { digest: OLD, sameImage: false }, image);
    expect(line).toBe(
      `tag "latest" of ECR repository "buildpacks/run" is immutable (IMMUTABLE) and holds ${OLD}: this run would move it to ${image}. ` +
        `Nothing was written. To allow it, change the repository (the action never changes an existing one's setting): ` +
        `aws ecr put-image-tag-mutability --repository-name buildpacks/run --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
        `--image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='latest'; or remove "latest" from the tags.`,
    );
    expect(line).not.toContain('\n');
  });

  it('keeps the existing exclusions in the suggested command and adds the wildcard of the template', () => {
    const line = tagConflict(
      repo(setting('IMMUTABLE_WITH_EXCLUSION', 'latest')),
      minor,
      { digest: OLD, sameImage: false },
      image,
    );
    expect(line).toContain('immutable (IMMUTABLE_WITH_EXCLUSION with exclusions latest)');
    expect(line).toContain("filterType=WILDCARD,filter='latest' filterType=WILDCARD,filter='*.*'");
  });

  it('refuses a moving tag a new immutable repository would freeze, pointing at the inputs', () => {
    const line = tagConflict(repo(setting('IMMUTABLE'), true), minor, undefined, image);
    expect(line).toContain('tag "0.3" of new ECR repository "buildpacks/run" is immutable (IMMUTABLE)');
    expect(line).toContain('the next release could not move it');
    expect(line).toContain(
      'set image-tag-mutability IMMUTABLE_WITH_EXCLUSION with "*.*" in image-tag-mutability-exclusions',
    );
  });

  it('for MUTABLE_WITH_EXCLUSION, suggests dropping the filter that makes the tag immutable', () => {
    const s = setting('MUTABLE_WITH_EXCLUSION', 'lat*', '*.*.*');
    expect(tagConflict(repo(s), latest, { digest: OLD, sameImage: false }, image)).toContain(
      "--image-tag-mutability MUTABLE_WITH_EXCLUSION --image-tag-mutability-exclusion-filters filterType=WILDCARD,filter='*.*.*';",
    );
    expect(tagConflict(repo(s, true), latest, undefined, image)).toContain(
      'drop the exclusion that matches "latest" from image-tag-mutability-exclusions',
    );
  });

  it('lets through what ECR takes: mutable or excluded tags, the same image again, a new fixed tag', () => {
    const moved = { digest: OLD, sameImage: false };
    expect(tagConflict(repo(setting('MUTABLE')), latest, moved, image)).toBeUndefined();
    expect(
      tagConflict(repo(setting('IMMUTABLE_WITH_EXCLUSION', 'latest', '*.*')), latest, moved, image),
    ).toBeUndefined();
    expect(
      tagConflict(repo(setting('IMMUTABLE_WITH_EXCLUSION', 'latest', '*.*')), minor, moved, image),
    ).toBeUndefined();
    expect(tagConflict(repo(setting('IMMUTABLE')), latest, { digest: OLD, sameImage: true }, image)).toBeUndefined();
    expect(tagConflict(repo(setting('IMMUTABLE'), true), fixed, undefined, image)).toBeUndefined();
    expect(tagConflict(repo(setting('IMMUTABLE')), fixed, undefined, image)).toBeUndefined();
  });

  it('refuses a fixed tag that already holds another image', () => {
    expect(tagConflict(repo(setting('IMMUTABLE')), fixed, { digest: OLD, sameImage: false }, image)).toContain(
      `tag "0.3.13" of ECR repository "buildpacks/run" is immutable (IMMUTABLE) and holds ${OLD}`,
    );
  });
});
