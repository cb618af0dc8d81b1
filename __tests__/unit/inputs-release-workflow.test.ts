// Inputs for real release workflows: tag mutability exclusions, run-image-mirror primary, lifecycle-image,
// the GitHub release section and dry-run verify.
import { describe, expect, it } from '@jest/globals';
import { InputError, parseInputs, type Inputs } from '../../src/action/inputs.js';

const PUBLIC = { images: 'paketobuildpacks/builder-jammy-base:0.3.13', 'public-registry-alias': 'paketo-buildpacks' };
const PRIVATE = {
  images: 'paketobuildpacks/builder-jammy-base:0.3.13',
  'registry-type': 'private',
  'aws-region': 'eu-west-1',
};

const parse = (values: Record<string, string>): Inputs => parseInputs((name) => values[name] ?? '', {});

function problem(values: Record<string, string>): string {
  try {
    parse(values);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('image-tag-mutability with exclusions', () => {
  it('takes the exclusion settings with newline- or comma-separated wildcard filters', () => {
    const inputs = parse({
      ...PRIVATE,
      'image-tag-mutability': 'immutable_with_exclusion',
      'image-tag-mutability-exclusions': 'latest\n*.*-stable, dev-*',
    });
    expect(inputs.imageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');
    expect(inputs.imageTagMutabilityExclusions).toEqual(['latest', '*.*-stable', 'dev-*']);
    expect(
      parse({ ...PRIVATE, 'image-tag-mutability': 'MUTABLE_WITH_EXCLUSION', 'image-tag-mutability-exclusions': 'v*' }),
    ).toMatchObject({ imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusions: ['v*'] });
  });

  it.each([
    [
      { 'image-tag-mutability': 'IMMUTABLE', 'image-tag-mutability-exclusions': 'latest' },
      'only applies with image-tag-mutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (not IMMUTABLE)',
    ],
    [{ 'image-tag-mutability-exclusions': 'latest' }, '(not MUTABLE)'],
    [
      { 'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION' },
      'is required with image-tag-mutability IMMUTABLE_WITH_EXCLUSION',
    ],
    [
      { 'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION', 'image-tag-mutability-exclusions': 'v1/*' },
      '"v1/*" is not a tag filter',
    ],
    [
      { 'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION', 'image-tag-mutability-exclusions': 'a\nb\nc\nd\ne\nf' },
      'has 6 filters; ECR takes at most 5',
    ],
  ])('rejects %j', (values, message) => {
    const text = problem({ ...PRIVATE, ...values });
    expect(text).toMatch(/^Input "image-tag-mutability-exclusions": /);
    expect(text).toContain(message);
  });

  it('rejects a whitespace-separated filter list as one bad filter', () => {
    expect(
      problem({
        ...PRIVATE,
        'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION',
        'image-tag-mutability-exclusions': 'a b',
      }),
    ).toBe(
      'Input "image-tag-mutability-exclusions": "a b" is not a tag filter: 1 to 128 letters, digits, . _ - and the wildcard *',
    );
  });

  it('keeps public repositories MUTABLE', () => {
    expect(
      problem({
        ...PUBLIC,
        'image-tag-mutability': 'IMMUTABLE_WITH_EXCLUSION',
        'image-tag-mutability-exclusions': 'latest',
      }),
    ).toBe('Input "image-tag-mutability": only applies to registry-type private');
  });
});

describe('run-image-mirror and lifecycle-image', () => {
  it.each([
    ['', 'auto'],
    ['auto', 'auto'],
    ['TRUE', 'auto'],
    ['Primary', 'primary'],
    ['false', false],
  ])('reads %j as %j', (value, expected) => {
    expect(parse({ ...PUBLIC, 'run-image-mirror': value }).runImageMirror).toBe(expected);
  });

  it('reads lifecycle-image as a source repository', () => {
    const inputs = parse({ ...PUBLIC, 'lifecycle-image': 'buildpacksio/lifecycle' });
    expect(inputs.lifecycleImage).toMatchObject({ registry: 'docker.io', repository: 'buildpacksio/lifecycle' });
    expect(inputs.lifecycleImage?.tag).toBeUndefined();
    expect(parse(PUBLIC).lifecycleImage).toBeUndefined();
  });

  it.each([
    ['buildpacksio/lifecycle:0.20.0', 'names a tag or digest; give the repository only'],
    [`buildpacksio/lifecycle@sha256:${'a'.repeat(64)}`, 'names a tag or digest'],
    ['Buildpacksio/Lifecycle', 'Input "lifecycle-image": '],
  ])('rejects lifecycle-image %j', (value, message) => {
    expect(problem({ ...PUBLIC, 'lifecycle-image': value })).toContain(message);
  });

  it('refuses another image in <repository-prefix>lifecycle, and accepts a version of the lifecycle image listed', () => {
    const images = 'paketobuildpacks/builder-jammy-base:0.3.13\nexample/other:1 => lifecycle';
    expect(problem({ ...PUBLIC, images, 'lifecycle-image': 'buildpacksio/lifecycle' })).toContain(
      'Input "lifecycle-image": ',
    );
    expect(problem({ ...PUBLIC, images, 'lifecycle-image': 'buildpacksio/lifecycle' })).toContain(
      'both map to repository "lifecycle"',
    );
    const listed = `${PUBLIC.images}\nbuildpacksio/lifecycle:0.20.0`;
    expect(parse({ ...PUBLIC, images: listed, 'lifecycle-image': 'buildpacksio/lifecycle' }).images).toHaveLength(2);
  });
});

describe('release-notes, github-token and release-tag', () => {
  it('is off by default and then needs no token', () => {
    const inputs = parse({ ...PUBLIC, 'github-token': 'ghs_example' });
    expect(inputs.releaseNotes).toBe(false);
    expect(inputs.githubToken).toBeUndefined();
    expect(inputs.releaseTag).toBeUndefined();
  });

  it('carries the token and the release tag when on', () => {
    const inputs = parse({
      ...PUBLIC,
      'release-notes': 'true',
      'github-token': 'ghs_example',
      'release-tag': 'v1.2.3',
    });
    expect(inputs).toMatchObject({ releaseNotes: true, githubToken: 'ghs_example', releaseTag: 'v1.2.3' });
  });

  it.each([
    [{ 'release-tag': 'v1' }, 'Input "release-tag": only applies with release-notes true'],
    [
      { 'release-notes': 'true', 'github-token': 't', 'release-tag': 'v 1' },
      'Input "release-tag": "v 1" is not a git tag name',
    ],
    [{ 'release-notes': 'true', 'github-token': 't', 'release-tag': 'a..b' }, 'is not a git tag name'],
    [{ 'release-notes': 'true' }, 'Input "github-token": is required with release-notes true'],
    [{ 'release-notes': 'yes' }, 'Input "release-notes": "yes" is not a boolean'],
  ])('rejects %j', (values, message) => {
    expect(problem({ ...PUBLIC, ...values })).toContain(message);
  });
});

describe('dry-run', () => {
  it.each([
    ['', false],
    ['false', false],
    ['true', 'plan'],
    ['VERIFY', 'verify'],
  ])('reads %j as %j', (value, expected) => {
    expect(parse({ ...PUBLIC, 'dry-run': value }).dryRun).toBe(expected);
  });
});
