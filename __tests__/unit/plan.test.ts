import { describe, expect, it } from '@jest/globals';
import { parseReference } from '../../src/oci/reference.js';
import {
  baseName,
  destinationNameProblem,
  destinationRepository,
  expectedRegistry,
  repositoryPrefixProblem,
} from '../../src/plan/naming.js';
import {
  buildPlan,
  destinationConflict,
  orderForPublish,
  placeInRegistry,
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
        images: 'docker.io/paketobuildpacks/run-jammy-base:0.1.2 => run',
        repository: 'run',
        tags: ['0.1.2', '0.1', 'latest'],
        heldBack: [],
      },
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('plans a pre-release as the real run writes it: its own tag, no moving tag', () => {
    const plan = buildPlan({
      images: [spec('paketobuildpacks/go:4.13.1-rc.1'), spec('paketobuildpacks/java:18.2.0')],
      repositoryPrefix: '',
      tagTemplates: templates,
      registryType: 'public',
    });
    const [go, java] = planToJson(plan);
    const reason = '4.13.1-rc.1 is a pre-release; moving tags follow releases only';
    expect(go?.tags).toEqual(['4.13.1-rc.1']);
    expect(go?.heldBack).toEqual([
      { tag: '4.13', reason },
      { tag: 'latest', reason },
    ]);
    expect(java?.tags).toEqual(['18.2.0', '18.2', 'latest']);
    expect(java?.heldBack).toEqual([]);
  });

  it('names the full destination when the inputs name the registry, and nothing when they do not', () => {
    const plan = (registryType: 'public' | 'private') =>
      buildPlan({
        images: [spec('paketobuildpacks/java:18.2.0')],
        repositoryPrefix: 'buildpacks/',
        tagTemplates: templates,
        registryType,
      });
    const destination = (registry: string | undefined, type: 'public' | 'private') =>
      planToJson(plan(type), registry)[0]?.destination;
    const publicRegistry = expectedRegistry({ registryType: 'public', publicRegistryAlias: 'paketo-buildpacks' });
    expect(publicRegistry).toBe('public.ecr.aws/paketo-buildpacks');
    expect(destination(publicRegistry, 'public')).toBe('public.ecr.aws/paketo-buildpacks/buildpacks/java');
    const privateRegistry = expectedRegistry({
      registryType: 'private',
      registryId: '123456789012',
      awsRegion: 'eu-west-1',
    });
    expect(destination(privateRegistry, 'private')).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/buildpacks/java',
    );
    expect(expectedRegistry({ registryType: 'private', registryId: '123456789012', awsRegion: 'cn-north-1' })).toBe(
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
    );
    // The caller's own account: only AWS can tell.
    expect(expectedRegistry({ registryType: 'private', awsRegion: 'eu-west-1' })).toBeUndefined();
    expect(destination(undefined, 'private')).toBeUndefined();
    expect(Object.keys(planToJson(plan('private'))[0]!)).not.toContain('destination');
  });
});

describe('references without a tag', () => {
  it('mean latest, as in Docker: no notice, the tag is latest and the source says so', () => {
    const plan = buildPlan({
      images: [spec('paketobuildpacks/java')],
      repositoryPrefix: '',
      tagTemplates: ['{{tag}}', 'latest'].map(parseTagTemplate),
      registryType: 'public',
    });
    const [entry] = plan.entries;
    expect(entry?.sourceName).toBe('docker.io/paketobuildpacks/java:latest');
    expect(entry?.source.tag).toBe('latest');
    expect(entry?.notices).toEqual([]);
    expect(entry?.warnings).toEqual([]);
    expect(planToJson(plan)[0]?.tags).toEqual(['latest']);
  });

  it('are the same source as name:latest, planned once', () => {
    const plan = buildPlan({
      images: [spec('paketobuildpacks/java'), spec('docker.io/paketobuildpacks/java:latest')],
      repositoryPrefix: '',
      tagTemplates: templates,
      registryType: 'public',
    });
    expect(plan.entries).toHaveLength(1);
  });

  it('a digest-only source that would move latest is a warning, the skipped {{tag}} a notice', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const plan = buildPlan({
      images: [spec(`paketobuildpacks/java@${digest}`)],
      repositoryPrefix: '',
      tagTemplates: ['{{tag}}', 'latest'].map(parseTagTemplate),
      registryType: 'public',
    });
    const [entry] = plan.entries;
    expect(entry?.notices).toEqual([
      `Tag template "{{tag}}" skipped for docker.io/paketobuildpacks/java@${digest}: the source is referenced by digest only and has no tag`,
    ]);
    expect(entry?.warnings).toEqual([
      `docker.io/paketobuildpacks/java@${digest} is referenced by digest only: "latest" will point at it whatever ` +
        'the destination holds, with no version to keep a newer release there; add its tag (name:tag@digest) or ' +
        'leave "latest" out of tags',
    ]);
    // With its tag given too, the version orders it: no warning.
    const tagged = buildPlan({
      images: [spec(`paketobuildpacks/java:18.2.0@${digest}`)],
      repositoryPrefix: '',
      tagTemplates: ['{{tag}}', 'latest'].map(parseTagTemplate),
      registryType: 'public',
    });
    expect(tagged.entries[0]?.warnings).toEqual([]);
  });
});

describe('placeInRegistry', () => {
  it('keeps an image already in the private registry in its own repository', () => {
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    const plan = buildPlan({
      images: [spec(`${host}/team/app/checkout:sha-1`), spec('paketobuildpacks/java:18.2.0')],
      repositoryPrefix: '',
      tagTemplates: templates,
      registryType: 'private',
    });
    expect(placeInRegistry(plan, host, '').entries.map((e) => e.repository)).toEqual(['team/app/checkout', 'java']);
  });
});
