import { describe, expect, it } from '@jest/globals';
import { parseReference } from '../../src/oci/reference.js';
import {
  baseName,
  destinationNameProblem,
  destinationRepository,
  repositoryPrefixProblem,
} from '../../src/plan/naming.js';
import {
  buildPlan,
  destinationConflict,
  orderForPublish,
  planToJson,
  PlanError,
  publishStages,
  type ImageSpec,
  type PublishKind,
} from '../../src/plan/plan.js';
import { parseTagTemplate } from '../../src/plan/tags.js';

const spec = (text: string, rename?: string): ImageSpec => ({
  source: parseReference(text),
  ...(rename !== undefined ? { rename } : {}),
});
const templates = ['{{tag}}', '{{major}}.{{minor}}', 'latest'].map(parseTagTemplate);

describe('naming', () => {
  it.each<[string, string, string | undefined, string]>([
    ['docker.io/paketobuildpacks/builder-jammy-base:0.3.13', '', undefined, 'builder-jammy-base'],
    ['index.docker.io/paketobuildpacks/run-jammy-base:latest', 'buildpacks/', undefined, 'buildpacks/run-jammy-base'],
    ['ubuntu:22.04', 'mirror-', undefined, 'mirror-ubuntu'],
    ['gcr.io/a/b/c/d@sha256:' + 'a'.repeat(64), 'x/', undefined, 'x/d'],
    [
      'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
      'buildpacks/',
      'builders/jammy',
      'buildpacks/builders/jammy',
    ],
  ])('%s with prefix %j and rename %j → %s', (source, prefix, rename, expected) => {
    expect(destinationRepository(source, prefix, rename)).toBe(expected);
    expect(destinationRepository(parseReference(source), prefix, rename)).toBe(expected);
  });

  it('takes the last path segment', () => {
    expect(baseName('a/b/c')).toBe('c');
    expect(baseName('c')).toBe('c');
  });

  it.each([
    ['ok-name', undefined],
    ['a/b.c/d_e', undefined],
    ['a', 'must be 2 to 256 characters long'],
    ['a'.repeat(257), 'must be 2 to 256 characters long'],
    ['Upper', 'not a valid repository name'],
    ['a//b', 'not a valid repository name'],
    ['/ab', 'not a valid repository name'],
    ['ab-', 'not a valid repository name'],
  ])('destination name %j', (name, problem) => {
    const found = destinationNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it.each([
    ['', true],
    ['buildpacks/', true],
    ['paketo-', true],
    ['a/b/', true],
    ['/x', false],
    ['Caps/', false],
    ['x//', false],
    ['-x', false],
  ])('prefix %j usable: %s', (prefix, ok) => {
    expect(repositoryPrefixProblem(prefix) === undefined).toBe(ok);
  });
});

describe('destinationConflict', () => {
  it('allows several versions of one source repository', () => {
    expect(
      destinationConflict([spec('paketobuildpacks/run:1.0.0'), spec('index.docker.io/paketobuildpacks/run:1.0.1')], ''),
    ).toBeUndefined();
  });

  it('rejects two source repositories landing in one destination', () => {
    const problem = destinationConflict(
      [spec('paketobuildpacks/run-jammy-base:1'), spec('heroku/run-jammy-base:2')],
      'p/',
    );
    expect(problem).toBe(
      'docker.io/paketobuildpacks/run-jammy-base:1 and docker.io/heroku/run-jammy-base:2 both map to repository "p/run-jammy-base"; give one of them "=> NAME"',
    );
  });

  it('accepts the same pair once a rename separates them', () => {
    expect(
      destinationConflict(
        [spec('paketobuildpacks/run-jammy-base:1'), spec('heroku/run-jammy-base:2', 'heroku-run')],
        '',
      ),
    ).toBeUndefined();
  });

  it('rejects a rename onto another image’s name', () => {
    expect(destinationConflict([spec('a/one:1'), spec('b/two:1', 'one')], '')).toContain(
      'both map to repository "one"',
    );
  });
});

describe('buildPlan', () => {
  const options = (images: ImageSpec[]) => ({
    images,
    repositoryPrefix: 'bp/',
    tagTemplates: templates,
    registryType: 'public' as const,
    publicRegistryAlias: 'paketo',
  });

  it('gives each image its repository, candidate tags and notices', () => {
    const plan = buildPlan(
      options([spec('paketobuildpacks/builder-jammy-base:0.3.13'), spec('paketobuildpacks/run-jammy-base:jammy')]),
    );
    expect(plan.registryType).toBe('public');
    expect(plan.publicRegistryAlias).toBe('paketo');
    expect(plan.entries.map((e) => [e.sourceName, e.repository, e.tags.map((t) => t.tag), e.notices.length])).toEqual([
      ['docker.io/paketobuildpacks/builder-jammy-base:0.3.13', 'bp/builder-jammy-base', ['0.3.13', '0.3', 'latest'], 0],
      ['docker.io/paketobuildpacks/run-jammy-base:jammy', 'bp/run-jammy-base', ['jammy', 'latest'], 1],
    ]);
    expect(plan.entries[1]?.notices[0]).toContain('"{{major}}.{{minor}}" skipped');
  });

  it('plans a repeated line once', () => {
    const plan = buildPlan(options([spec('a/b:1.0.0'), spec('docker.io/a/b:1.0.0')]));
    expect(plan.entries).toHaveLength(1);
  });

  it('gives a shared moving tag to the highest version only', () => {
    const plan = buildPlan(options([spec('a/run:0.3.13'), spec('a/run:0.3.12'), spec('a/run:0.2.1')]));
    expect(plan.entries.map((e) => e.tags.map((t) => t.tag))).toEqual([
      ['0.3.13', '0.3', 'latest'],
      ['0.3.12'],
      ['0.2.1', '0.2'],
    ]);
    expect(plan.entries[1]?.notices).toEqual([
      'Tag "0.3" goes to docker.io/a/run:0.3.13, not docker.io/a/run:0.3.12: both are published to "bp/run"',
      'Tag "latest" goes to docker.io/a/run:0.3.13, not docker.io/a/run:0.3.12: both are published to "bp/run"',
    ]);
  });

  it('ranks a versionless source below versions when they share a tag', () => {
    const plan = buildPlan(options([spec('a/run@sha256:' + 'c'.repeat(64)), spec('a/run:1.0.0')]));
    expect(plan.entries.map((e) => e.tags.map((t) => t.tag))).toEqual([[], ['1.0.0', '1.0', 'latest']]);
  });

  it('throws on conflicting destinations', () => {
    expect(() => buildPlan(options([spec('a/run:1'), spec('b/run:1')]))).toThrow(PlanError);
  });
});

describe('orderForPublish', () => {
  it('puts base images first and builders last, stable within groups', () => {
    const entries: [string, PublishKind][] = [
      ['builder-1', 'builder'],
      ['app', 'other'],
      ['bp-1', 'buildpack'],
      ['run', 'stack-image'],
      ['ext', 'extension'],
      ['builder-2', 'builder'],
      ['bp-2', 'buildpack'],
      ['build', 'stack-image'],
    ];
    const ordered = orderForPublish(entries, ([, kind]) => kind).map(([name]) => name);
    expect(ordered).toEqual(['run', 'build', 'bp-1', 'ext', 'bp-2', 'app', 'builder-1', 'builder-2']);
  });

  it('does not change its input', () => {
    const entries = ['b', 'a'];
    orderForPublish(entries, (e) => (e === 'b' ? 'builder' : 'stack-image'));
    expect(entries).toEqual(['b', 'a']);
  });
});

describe('publishStages', () => {
  it('cuts the publish order into stages of images that do not depend on each other', () => {
    const entries: [string, PublishKind][] = [
      ['builder-1', 'builder'],
      ['bp-1', 'buildpack'],
      ['run', 'stack-image'],
      ['ext', 'extension'],
      ['build', 'stack-image'],
    ];
    const stages = publishStages(entries, ([, kind]) => kind).map((stage) => stage.map(([name]) => name));
    expect(stages).toEqual([['run', 'build'], ['bp-1', 'ext'], ['builder-1']]);
  });
});

describe('planToJson', () => {
  it('gives matrix-ready objects', () => {
    const plan = buildPlan({
      images: [spec('paketobuildpacks/run-jammy-base:0.1.2', 'run')],
      repositoryPrefix: '',
      tagTemplates: templates,
      registryType: 'private',
    });
    const json = planToJson(plan);
    expect(json).toEqual([
      {
        source: 'docker.io/paketobuildpacks/run-jammy-base:0.1.2',
        repository: 'run',
        tags: ['0.1.2', '0.1', 'latest'],
      },
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
