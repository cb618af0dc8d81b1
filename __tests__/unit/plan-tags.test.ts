import { describe, expect, it } from '@jest/globals';
import { parseSemVer } from '../../src/plan/semver.js';
import { decideTags, parseTagTemplate, renderTags, scopeOf, type RenderedTag } from '../../src/plan/tags.js';

const templates = (...texts: string[]) => texts.map(parseTagTemplate);
const render = (texts: string[], sourceTag: string | undefined) =>
  renderTags(templates(...texts), sourceTag, 'docker.io/p/img');
const tagsOf = (texts: string[], sourceTag: string | undefined) => render(texts, sourceTag).tags.map((t) => t.tag);

describe('parseTagTemplate', () => {
  it.each([
    ['{{tag}}', 'fixed'],
    ['latest', 'repository'],
    ['stable', 'repository'],
    ['{{major}}', 'major'],
    ['v{{major}}', 'major'],
    ['{{major}}.{{minor}}', 'minor'],
    ['{{ major }}.{{MINOR}}-jammy', 'minor'],
    ['{{major}}.{{minor}}.{{patch}}', 'patch'],
    ['{{tag}}-jammy', 'fixed'],
    ['{{minor}}', 'repository'],
  ])('%s has scope %s', (text, scope) => {
    expect(scopeOf(parseTagTemplate(text))).toBe(scope);
  });

  it.each([
    ['{{version}}', 'unknown placeholder "{{version}}"'],
    ['{{tag}', 'cannot give a valid tag'],
    ['-{{tag}}', 'cannot give a valid tag'],
    ['.latest', 'cannot give a valid tag'],
    ['has space', 'cannot give a valid tag'],
    ['a/b', 'cannot give a valid tag'],
    ['x'.repeat(129), 'cannot give a valid tag'],
  ])('rejects %j', (text, why) => {
    expect(() => parseTagTemplate(text)).toThrow(why);
  });
});

describe('renderTags', () => {
  it.each([
    [['{{tag}}', 'latest'], '0.3.13', ['0.3.13', 'latest']],
    [['{{major}}.{{minor}}', '{{major}}', 'v{{major}}', '{{patch}}'], 'v1.20.3', ['1.20', '1', 'v1', '3']],
    [['{{major}}.{{minor}}.{{patch}}'], '1.2.3-rc.1', ['1.2.3']],
    [['{{tag}}', '{{major}}.{{minor}}.{{patch}}', 'latest', 'latest'], '1.2.3', ['1.2.3', 'latest']],
    [['{{tag}}-jammy', 'jammy'], 'jammy', ['jammy-jammy', 'jammy']],
  ])('%j for %s gives %j', (texts, sourceTag, expected) => {
    expect(tagsOf(texts, sourceTag)).toEqual(expected);
  });

  it('skips version templates for a non-semver tag with a notice naming the template and source', () => {
    const result = render(['{{tag}}', '{{major}}.{{minor}}', 'latest'], 'jammy');
    expect(result.tags.map((t) => t.tag)).toEqual(['jammy', 'latest']);
    expect(result.notices).toEqual([
      'Tag template "{{major}}.{{minor}}" skipped for docker.io/p/img: source tag "jammy" is not a semantic version',
    ]);
  });

  it('skips {{tag}} for a digest-only source', () => {
    const result = render(['{{tag}}', '{{major}}', 'latest'], undefined);
    expect(result.tags.map((t) => t.tag)).toEqual(['latest']);
    expect(result.notices).toHaveLength(2);
    expect(result.notices[0]).toContain('referenced by digest only');
  });

  it('skips a rendered tag that is too long', () => {
    const result = render(['{{tag}}-' + 'x'.repeat(120)], 'abcdefghij');
    expect(result.tags).toEqual([]);
    expect(result.notices[0]).toContain('is not a valid tag');
  });

  it('keeps the first position of a duplicate but lets an exact template make it fixed', () => {
    const result = render(['latest', '{{tag}}'], 'latest');
    expect(result.tags).toEqual([{ tag: 'latest', template: '{{tag}}', scope: 'fixed' }]);
  });

  it('carries the source version on every rendered tag', () => {
    const [first] = render(['latest'], 'v2.0.1').tags;
    expect(first?.sourceVersion).toEqual(parseSemVer('2.0.1'));
  });
});

describe('decideTags', () => {
  const standard = ['{{tag}}', '{{major}}.{{minor}}', '{{major}}', 'latest'];
  const decide = (sourceTag: string | undefined, existing: string[], texts = standard) =>
    decideTags(render(texts, sourceTag).tags, existing);

  it.each<[string, string[], string[], string[]]>([
    // source, existing tags, applied, held back
    ['0.3.13', [], ['0.3.13', '0.3', '0', 'latest'], []],
    ['0.3.13', ['0.3.12', '0.3', '0', 'latest'], ['0.3.13', '0.3', '0', 'latest'], []],
    ['0.3.12', ['0.3.13', '0.3', '0', 'latest'], ['0.3.12'], ['0.3', '0', 'latest']],
    ['0.3.13', ['0.3.13', '0.3', 'latest'], ['0.3.13', '0.3', '0', 'latest'], []],
    // an older minor still moves its own float tag, not the newer ones
    ['0.2.9', ['0.2.8', '0.3.13'], ['0.2.9', '0.2'], ['0', 'latest']],
    // an older major moves its major tag only
    ['1.9.0', ['1.8.0', '2.0.0'], ['1.9.0', '1.9', '1'], ['latest']],
    // v-prefixed existing tags count
    ['1.0.0', ['v1.0.1'], ['1.0.0'], ['1.0', '1', 'latest']],
    // existing pre-releases do not hold a release back
    ['1.0.0', ['1.1.0-rc.1'], ['1.0.0', '1.0', '1', 'latest'], []],
    // a pre-release never moves moving tags
    ['2.0.0-rc.1', [], ['2.0.0-rc.1'], ['2.0', '2', 'latest']],
    // no version: moving tags cannot be ordered and are written as asked
    ['jammy', ['9.9.9'], ['jammy', 'latest'], []],
  ])('%s over %j applies %j and holds back %j', (source, existing, applied, held) => {
    const decision = decide(source, existing);
    expect(decision.apply).toEqual(applied);
    expect(decision.heldBack.map((h) => h.tag)).toEqual(held);
  });

  it('treats major.minor.patch as fixed for a release and holds it back for a pre-release', () => {
    const texts = ['{{major}}.{{minor}}.{{patch}}'];
    expect(decide('1.2.3', ['9.0.0'], texts).apply).toEqual(['1.2.3']);
    expect(decide('1.2.3-rc.1', [], texts).heldBack.map((h) => h.tag)).toEqual(['1.2.3']);
  });

  it('explains a held-back tag with the newer version found', () => {
    const { heldBack } = decide('0.3.12', ['0.3.13', 'v0.4.0'], ['latest', '{{major}}.{{minor}}']);
    expect(heldBack).toEqual([
      { tag: 'latest', reason: '0.3.12 is older than v0.4.0, the newest release of the repository in the destination' },
      { tag: '0.3', reason: '0.3.12 is older than 0.3.13, the newest release of its minor version in the destination' },
    ]);
  });

  it('explains a pre-release hold', () => {
    const { heldBack } = decide('1.0.0-beta.1', [], ['latest']);
    expect(heldBack[0]?.reason).toBe('1.0.0-beta.1 is a pre-release; moving tags follow releases only');
  });

  it('ignores non-semver existing tags', () => {
    expect(decide('0.0.1', ['latest', 'jammy', '0.3', 'sha256-abc.sig']).heldBack).toEqual([]);
  });

  it('applies fixed tags whatever exists', () => {
    const fixedOnly: RenderedTag[] = [
      { tag: 'x', template: 'x', scope: 'fixed', sourceVersion: parseSemVer('0.0.1')! },
    ];
    expect(decideTags(fixedOnly, ['9.9.9']).apply).toEqual(['x']);
  });
});
