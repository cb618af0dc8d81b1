// public-retention: version tags, the pure plan, and its ECR Public calls (against a mocked client).
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  BatchDeleteImageCommand,
  DescribeImagesCommand,
  ECRPUBLICClient,
  ECRPUBLICServiceException,
} from '@aws-sdk/client-ecr-public';
import { mockClient } from 'aws-sdk-client-mock';
import { applyRetention } from '../../src/aws/retention/apply.js';
import { listPublicImages } from '../../src/aws/retention/ecr-public.js';
import {
  indexDigestsOf,
  planRetention,
  versionOfTag,
  type RepositoryImage,
  type RetentionPlan,
} from '../../src/aws/retention/plan.js';
import { OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.js';
import { compareSemVer } from '../../src/plan/semver.js';
import { RetentionPins, runImageNames } from '../../src/publish/retention-pins.js';
import { capturingLogger } from '../support/runtime.js';

/** A stable fake digest per label, e.g. digest('0.3.1') or digest('0.3.1/amd64'). */
function digest(label: string): string {
  let hex = '';
  for (let round = 0; hex.length < 64; round += 1) {
    let hash = 2166136261 ^ round;
    for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
    hex += (hash >>> 0).toString(16).padStart(8, '0');
  }
  return `sha256:${hex.slice(0, 64)}`;
}

interface Repo {
  images: RepositoryImage[];
  childDigests: Map<string, string[]>;
}

/** Each version is a two-platform index; children are untagged. Pushed in a scrambled order. */
function repositoryWithVersions(versions: string[], extraTags: Record<string, string[]> = {}): Repo {
  const images: RepositoryImage[] = [];
  const childDigests = new Map<string, string[]>();
  versions.forEach((version, position) => {
    const children = [digest(`${version}/amd64`), digest(`${version}/arm64`)];
    childDigests.set(digest(version), children);
    images.push({
      imageDigest: digest(version),
      imageTags: [version, ...(extraTags[version] ?? [])],
      imageManifestMediaType: OCI_INDEX,
      pushedAt: new Date(Date.UTC(2024, 0, 1 + ((position * 7) % versions.length))),
    });
    for (const child of children)
      images.push({ imageDigest: child, imageTags: [], imageManifestMediaType: OCI_MANIFEST });
  });
  return { images, childDigests };
}

const TEN_VERSIONS = ['0.1.0', '0.2.0', '0.9.0', '0.10.0', '0.3.0', '0.3.1', '0.4.0', '0.8.0', '1.0.0', '0.5.0'];

function deletedDigests(plan: RetentionPlan): string[] {
  return plan.delete.map((entry) => entry.imageDigest).sort();
}

describe('versionOfTag and compareSemVer', () => {
  it('accepts full semver with an optional v and rejects floats', () => {
    expect(versionOfTag('v1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(versionOfTag('1.2.3-rc.1')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: ['rc', '1'] });
    for (const tag of ['1', '0.3', 'latest', '01.2.3', '1.2.3.4', 'sha-abc', '1.2.3-'])
      expect(versionOfTag(tag)).toBeUndefined();
  });

  it('does not take a tag with build metadata for a version (it is always kept)', () => {
    for (const tag of ['1.2.3_b1', '1.2.3+b1', '1.2.3-rc.1_b2']) expect(versionOfTag(tag)).toBeUndefined();
  });

  it('orders by semver precedence, not text', () => {
    const tags = [
      '0.10.0',
      '0.9.0',
      '1.0.0-rc.10',
      '1.0.0-rc.2',
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '0.9.0-beta',
    ];
    const sorted = [...tags].sort((a, b) => compareSemVer(versionOfTag(a)!, versionOfTag(b)!));
    expect(sorted).toEqual([
      '0.9.0-beta',
      '0.9.0',
      '0.10.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-rc.2',
      '1.0.0-rc.10',
      '1.0.0',
    ]);
  });
});

describe('planRetention', () => {
  it('keeps the newest N versions by semver, whatever the push order, and deletes older indexes with their children', () => {
    const repo = repositoryWithVersions(TEN_VERSIONS);
    const plan = planRetention({ ...repo, keep: 3 });
    expect(plan.keptVersions).toEqual(['1.0.0', '0.10.0', '0.9.0']);
    expect(plan.droppedVersions).toEqual(['0.8.0', '0.5.0', '0.4.0', '0.3.1', '0.3.0', '0.2.0', '0.1.0']);
    const dropped = plan.droppedVersions.flatMap((version) => [
      digest(version),
      digest(`${version}/amd64`),
      digest(`${version}/arm64`),
    ]);
    expect(deletedDigests(plan)).toEqual(dropped.sort());
    const index = plan.delete.find((entry) => entry.imageDigest === digest('0.8.0'));
    expect(index).toMatchObject({ tags: ['0.8.0'], reason: 'version 0.8.0 is older than the newest 3' });
    expect(index?.deletedChildren).toEqual([digest('0.8.0/amd64'), digest('0.8.0/arm64')]);
    const child = plan.delete.find((entry) => entry.imageDigest === digest('0.8.0/arm64'));
    expect(child?.reason).toMatch(/^child of deleted index sha256:/);
    const keptChild = plan.keep.find((entry) => entry.imageDigest === digest('0.9.0/amd64'));
    expect(keptChild?.reason).toMatch(/^child of kept index sha256:/);
    expect(plan.keep.find((entry) => entry.imageDigest === digest('1.0.0'))?.reason).toBe(
      'version 1.0.0 is among the newest 3',
    );
    expect(plan.keep.length + plan.delete.length).toBe(repo.images.length);
  });

  it('never deletes an image that latest or a float tag points to', () => {
    const repo = repositoryWithVersions(TEN_VERSIONS, {
      '1.0.0': ['latest', '1', '1.0'],
      '0.3.1': ['0.3'],
      '0.1.0': ['0'],
    });
    const plan = planRetention({ ...repo, keep: 2 });
    const kept = new Set(plan.keep.map((entry) => entry.imageDigest));
    for (const version of ['1.0.0', '0.10.0', '0.3.1', '0.1.0']) {
      expect(kept.has(digest(version))).toBe(true);
      expect(kept.has(digest(`${version}/amd64`))).toBe(true);
      expect(kept.has(digest(`${version}/arm64`))).toBe(true);
    }
    expect(plan.keep.find((entry) => entry.imageDigest === digest('0.3.1'))?.reason).toBe(
      'tag "0.3" is not a version tag',
    );
    expect(kept.has(digest('0.3.0'))).toBe(false);
    expect(kept.has(digest('0.9.0'))).toBe(false);
  });

  it('keeps children shared between a kept and a deleted index', () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    // 2.0.0 was a rebuild that reused 1.0.0's arm64 manifest.
    repo.childDigests.set(digest('2.0.0'), [digest('2.0.0/amd64'), digest('1.0.0/arm64')]);
    repo.images = repo.images.filter((image) => image.imageDigest !== digest('2.0.0/arm64'));
    const plan = planRetention({ ...repo, keep: 1 });
    expect(deletedDigests(plan)).toEqual([digest('1.0.0'), digest('1.0.0/amd64')].sort());
    expect(plan.keep.find((entry) => entry.imageDigest === digest('1.0.0/arm64'))?.reason).toMatch(
      /^child of kept index/,
    );
    expect(plan.delete.find((entry) => entry.imageDigest === digest('1.0.0'))?.deletedChildren).toEqual([
      digest('1.0.0/amd64'),
    ]);
  });

  it('keeps a tagged child of a deleted index when its own tag is kept', () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    const amd64 = repo.images.find((image) => image.imageDigest === digest('1.0.0/amd64'))!;
    amd64.imageTags = ['pinned-amd64'];
    const plan = planRetention({ ...repo, keep: 1 });
    expect(plan.keep.find((entry) => entry.imageDigest === digest('1.0.0/amd64'))?.reason).toBe(
      'tag "pinned-amd64" is not a version tag',
    );
    expect(deletedDigests(plan)).toEqual([digest('1.0.0'), digest('1.0.0/arm64')].sort());
  });

  it('treats v-prefixed and plain spellings as one version', () => {
    const repo = repositoryWithVersions(['v1.0.0', '1.1.0', 'v1.2.0']);
    repo.images.push({
      imageDigest: digest('1.2.0 again'),
      imageTags: ['1.2.0'],
      imageManifestMediaType: OCI_MANIFEST,
    });
    const plan = planRetention({ ...repo, keep: 1 });
    expect(plan.keptVersions).toEqual(['1.2.0']);
    const kept = new Set(plan.keep.map((entry) => entry.imageDigest));
    expect(kept.has(digest('v1.2.0'))).toBe(true);
    expect(kept.has(digest('1.2.0 again'))).toBe(true);
    expect(kept.has(digest('1.1.0'))).toBe(false);
  });

  it('drops old pre-releases but keeps one newer than the oldest kept release, without counting it', () => {
    const repo = repositoryWithVersions(['1.0.0-rc.1', '1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1']);
    const plan = planRetention({ ...repo, keep: 2 });
    expect(plan.keptVersions).toEqual(['2.0.0-rc.1', '1.2.0', '1.1.0']);
    expect(plan.droppedVersions).toEqual(['1.0.0', '1.0.0-rc.1']);
    expect(plan.keep.find((entry) => entry.imageDigest === digest('2.0.0-rc.1'))?.reason).toBe(
      'pre-release 2.0.0-rc.1 is newer than the oldest kept release',
    );
  });

  it('keeps every pre-release while no release is dropped', () => {
    const plan = planRetention({ ...repositoryWithVersions(['0.1.0-rc.1', '0.1.0-rc.2', '0.1.0']), keep: 5 });
    expect(plan.delete).toEqual([]);
  });

  it('deletes nothing in a repository without version tags, and leaves unrelated untagged images alone', () => {
    const images: RepositoryImage[] = [
      { imageDigest: digest('a'), imageTags: ['latest'], imageManifestMediaType: OCI_MANIFEST },
      { imageDigest: digest('orphan'), imageTags: [], imageManifestMediaType: OCI_MANIFEST },
    ];
    const plan = planRetention({ images, childDigests: new Map(), keep: 1 });
    expect(plan.delete).toEqual([]);
    expect(plan.keep.find((entry) => entry.imageDigest === digest('orphan'))?.reason).toBe(
      'untagged and not part of a deleted index',
    );
  });

  it('deletes signatures of deleted images and keeps those of kept or absent ones', () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    const tagFor = (label: string) => `${digest(label).replace(':', '-')}.sig`;
    repo.images.push(
      { imageDigest: digest('sig-1'), imageTags: [tagFor('1.0.0')], imageManifestMediaType: OCI_MANIFEST },
      { imageDigest: digest('sig-2'), imageTags: [tagFor('2.0.0')], imageManifestMediaType: OCI_MANIFEST },
      { imageDigest: digest('sig-gone'), imageTags: [tagFor('never-here')], imageManifestMediaType: OCI_MANIFEST },
    );
    const plan = planRetention({ ...repo, keep: 1 });
    const deleted = deletedDigests(plan);
    expect(deleted).toContain(digest('sig-1'));
    expect(deleted).not.toContain(digest('sig-2'));
    expect(deleted).not.toContain(digest('sig-gone'));
    expect(plan.delete.find((entry) => entry.imageDigest === digest('sig-1'))?.reason).toBe(
      'refers to an image that is deleted',
    );
  });

  it("keeps an old image that a pinned tag names (a kept builder's run-image mirror), with its children", () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0', '3.0.0']);
    const pinnedTags = new Map([['1.0.0', 'run image of kept builder builder@sha256:abc']]);
    const plan = planRetention({ ...repo, keep: 1, pinnedTags });
    expect(deletedDigests(plan)).toEqual([digest('2.0.0'), digest('2.0.0/amd64'), digest('2.0.0/arm64')].sort());
    expect(plan.keep.find((entry) => entry.imageDigest === digest('1.0.0'))?.reason).toBe(
      'run image of kept builder builder@sha256:abc',
    );
  });

  it('refuses to plan when a kept index has unknown children', () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    repo.childDigests.delete(digest('2.0.0'));
    expect(() => planRetention({ ...repo, keep: 1 })).toThrow(
      `Cannot plan retention: the child manifests of kept index ${digest('2.0.0')} are unknown`,
    );
  });

  it('rejects a non-positive keep count', () => {
    expect(() => planRetention({ images: [], childDigests: new Map(), keep: 0 })).toThrow(
      'public-retention must be a positive whole number',
    );
  });

  it('lists the index digests whose children are needed', () => {
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    expect(indexDigestsOf(repo.images)).toEqual([digest('1.0.0'), digest('2.0.0')]);
  });
});

describe('applyRetention and listPublicImages', () => {
  const ecrPublic = mockClient(ECRPUBLICClient);
  const client = new ECRPUBLICClient({ region: 'us-east-1' });
  const logger = capturingLogger();
  const lines = logger.messages;

  beforeEach(() => {
    ecrPublic.reset();
    lines.length = 0;
  });

  /** Each BatchDeleteImage call's ids: `tag:<tag>` or the digest. */
  function deleteCalls(): string[][] {
    return ecrPublic
      .commandCalls(BatchDeleteImageCommand)
      .map((call) =>
        (call.args[0].input.imageIds ?? []).map((id) =>
          id.imageTag !== undefined ? `tag:${id.imageTag}` : (id.imageDigest ?? '?'),
        ),
      );
  }

  /** The repository after the tag deletes, as the re-listing sees it. */
  function listingAfterTags(images: RepositoryImage[]): void {
    ecrPublic.on(DescribeImagesCommand).resolves({
      imageDetails: images.map((image) => ({
        imageDigest: image.imageDigest,
        imageTags: [...image.imageTags],
        imageManifestMediaType: image.imageManifestMediaType,
      })),
    });
  }

  const untagged = (label: string): RepositoryImage => ({
    imageDigest: digest(label),
    imageTags: [],
    imageManifestMediaType: OCI_MANIFEST,
  });
  const keptTwo = (): RepositoryImage[] => [
    { imageDigest: digest('2.0.0'), imageTags: ['2.0.0'], imageManifestMediaType: OCI_INDEX },
    untagged('2.0.0/amd64'),
    untagged('2.0.0/arm64'),
  ];

  it('removes the tags of old indexes, then deletes their untagged children by digest', async () => {
    ecrPublic.on(BatchDeleteImageCommand).resolves({ failures: [] });
    listingAfterTags([...keptTwo(), untagged('1.0.0/amd64'), untagged('1.0.0/arm64')]);
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    const plan = planRetention({ ...repo, keep: 1 });
    const result = await applyRetention(client, 'builder', plan, {
      dryRun: false,
      logger,
      childDigests: repo.childDigests,
    });
    expect(deleteCalls()).toEqual([['tag:1.0.0'], [digest('1.0.0/amd64'), digest('1.0.0/arm64')]]);
    expect(result).toEqual({
      dryRun: false,
      deleted: [digest('1.0.0'), digest('1.0.0/amd64'), digest('1.0.0/arm64')],
      failures: [],
      skipped: [],
    });
    expect(ecrPublic.commandCalls(BatchDeleteImageCommand)[0]?.args[0].input.repositoryName).toBe('builder');
    expect(lines[0]).toBe(`Deleted builder@${digest('1.0.0')} (tags 1.0.0): version 1.0.0 is older than the newest 1`);
  });

  it('sends at most 100 image ids per call', async () => {
    ecrPublic.on(BatchDeleteImageCommand).resolves({});
    listingAfterTags([]);
    const images: RepositoryImage[] = Array.from({ length: 250 }, (_, index) => ({
      imageDigest: digest(`v${index}`),
      imageTags: [`${index}.0.0`],
      imageManifestMediaType: OCI_MANIFEST,
    }));
    const plan = planRetention({ images, childDigests: new Map(), keep: 5 });
    expect(plan.delete).toHaveLength(245);
    const result = await applyRetention(client, 'r', plan, { dryRun: false });
    expect(deleteCalls().map((ids) => ids.length)).toEqual([100, 100, 45]);
    expect(result.deleted).toHaveLength(245);
  });

  it('reports failures and keeps the children of an index it could not delete', async () => {
    ecrPublic.on(BatchDeleteImageCommand).resolves({
      failures: [{ imageId: { imageTag: '1.0.0' }, failureCode: 'InvalidImageTag', failureReason: 'nope' }],
    });
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    listingAfterTags(repo.images);
    const plan = planRetention({ ...repo, keep: 1 });
    const result = await applyRetention(client, 'builder', plan, {
      dryRun: false,
      logger,
      childDigests: repo.childDigests,
    });
    expect(deleteCalls()).toEqual([['tag:1.0.0']]);
    expect(result.failures).toEqual([{ imageDigest: digest('1.0.0'), reason: 'tag 1.0.0: InvalidImageTag: nope' }]);
    expect(result.skipped.sort()).toEqual([digest('1.0.0/amd64'), digest('1.0.0/arm64')].sort());
    expect(result.deleted).toEqual([]);
    expect(lines).toContain(`Could not delete builder@${digest('1.0.0')}: tag 1.0.0: InvalidImageTag: nope`);
  });

  it('counts an image already gone as deleted and reports a failed call for each id', async () => {
    ecrPublic
      .on(BatchDeleteImageCommand)
      .resolvesOnce({
        failures: [{ imageId: { imageTag: '1.0.0' }, failureCode: 'ImageNotFound', failureReason: 'gone' }],
      })
      .rejects(
        new ECRPUBLICServiceException({
          name: 'ServerException',
          message: 'try later',
          $fault: 'server',
          $metadata: {},
        }),
      );
    listingAfterTags([...keptTwo(), untagged('1.0.0/amd64'), untagged('1.0.0/arm64')]);
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    const plan = planRetention({ ...repo, keep: 1 });
    const result = await applyRetention(client, 'builder', plan, { dryRun: false, childDigests: repo.childDigests });
    expect(result.deleted).toEqual([digest('1.0.0')]);
    expect(result.failures).toEqual([
      { imageDigest: digest('1.0.0/amd64'), reason: 'ServerException: try later' },
      { imageDigest: digest('1.0.0/arm64'), reason: 'ServerException: try later' },
    ]);
  });

  it('deletes no child that a new index references, or that was tagged since the listing', async () => {
    ecrPublic.on(BatchDeleteImageCommand).resolves({ failures: [] });
    const rebuilt = { imageDigest: digest('1.0.0 rebuilt'), imageTags: ['1.0.0-1'], imageManifestMediaType: OCI_INDEX };
    listingAfterTags([
      ...keptTwo(),
      rebuilt,
      untagged('1.0.0/amd64'),
      { ...untagged('1.0.0/arm64'), imageTags: ['pinned'] },
    ]);
    const repo = repositoryWithVersions(['1.0.0', '2.0.0']);
    const plan = planRetention({ ...repo, keep: 1 });
    const readChildren = async (index: string) => (index === rebuilt.imageDigest ? [digest('1.0.0/amd64')] : []);
    const result = await applyRetention(client, 'builder', plan, {
      dryRun: false,
      logger,
      childDigests: repo.childDigests,
      readChildren,
    });
    expect(deleteCalls()).toEqual([['tag:1.0.0']]);
    expect(result.skipped.sort()).toEqual([digest('1.0.0/amd64'), digest('1.0.0/arm64')].sort());
    expect(lines).toContain(`Kept builder@${digest('1.0.0/amd64')}: an image that stays still references it.`);
    // Without a way to read a new index, no child is deleted at all.
    ecrPublic.resetHistory();
    const blind = await applyRetention(client, 'builder', plan, { dryRun: false, childDigests: repo.childDigests });
    expect(deleteCalls()).toEqual([['tag:1.0.0']]);
    expect(blind.deleted).toEqual([digest('1.0.0')]);
  });

  it('calls nothing in dry-run mode and logs what it would delete', async () => {
    const plan = planRetention({ ...repositoryWithVersions(['1.0.0', '2.0.0']), keep: 1 });
    const result = await applyRetention(client, 'builder', plan, { dryRun: true, logger });
    expect(ecrPublic.calls()).toHaveLength(0);
    expect(result).toEqual({ dryRun: true, deleted: [], failures: [], skipped: [] });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`[dry-run] would delete builder@${digest('1.0.0')}`);
  });

  it('lists every page of images', async () => {
    const pushedAt = new Date('2024-05-01T00:00:00Z');
    ecrPublic
      .on(DescribeImagesCommand)
      .resolvesOnce({
        imageDetails: [
          {
            imageDigest: digest('a'),
            imageTags: ['1.0.0'],
            imageManifestMediaType: OCI_INDEX,
            imagePushedAt: pushedAt,
          },
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({ imageDetails: [{ imageDigest: digest('b') }] });
    const images = await listPublicImages(client, 'builder');
    expect(images).toEqual([
      { imageDigest: digest('a'), imageTags: ['1.0.0'], imageManifestMediaType: OCI_INDEX, pushedAt },
      { imageDigest: digest('b'), imageTags: [] },
    ]);
    expect(ecrPublic.commandCalls(DescribeImagesCommand)[1]?.args[0].input).toEqual({
      repositoryName: 'builder',
      maxResults: 1000,
      nextToken: 'page-2',
    });
  });
});

describe('retention pins: the run images kept builders name', () => {
  const label = (metadata: object) =>
    Buffer.from(JSON.stringify({ config: { Labels: { 'io.buildpacks.builder.metadata': JSON.stringify(metadata) } } }));

  it('reads every run image and mirror of a builder label, and nothing from other images', () => {
    const config = label({
      images: [
        { image: 'docker.io/org/run:1', mirrors: ['public.ecr.aws/alias/run:1'] },
        { image: 'docker.io/org/other:2' },
      ],
      stack: { runImage: { image: 'docker.io/org/run:1', mirrors: ['public.ecr.aws/alias/run@' + digest('run')] } },
    });
    expect(runImageNames(config)).toEqual([
      'docker.io/org/run:1',
      'public.ecr.aws/alias/run:1',
      'docker.io/org/other:2',
      'docker.io/org/run:1',
      `public.ecr.aws/alias/run@${digest('run')}`,
    ]);
    expect(runImageNames(Buffer.from(JSON.stringify({ config: { Labels: {} } })))).toEqual([]);
    expect(runImageNames(Buffer.from('not json'))).toEqual([]);
  });

  it('pins by tag or digest in the repositories of this run only', () => {
    const pins = new RetentionPins(new Map([['public.ecr.aws/alias/run', 'run']]));
    pins.add('public.ecr.aws/alias/run:0.1.0', 'mirror of b');
    pins.add(`public.ecr.aws/alias/run@${digest('x')}`, 'mirror of c');
    pins.add('docker.io/org/run:0.1.0', 'elsewhere');
    pins.add('not a reference', 'ignored');
    expect(pins.of('run')).toEqual({
      tags: new Map([['0.1.0', 'mirror of b']]),
      digests: new Map([[digest('x'), 'mirror of c']]),
    });
  });
});
