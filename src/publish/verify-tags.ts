/** Verify of one image's tags: each planned tag in the destination against the source, moving tags against newer releases. */
import { mirrorOrigin, type MirrorOrigin } from '../cnb/mirror-origin.js';
import { readImageTree } from '../oci/copy.js';
import type { PlanEntry } from '../plan/plan.js';
import { compareSemVer, isPrerelease, type SemVer } from '../plan/semver.js';
import { decideTags, isMovingTag, newestReleaseInScope, type RenderedTag } from '../plan/tags.js';
import type { Destination } from './connections.js';
import type { VerifyRow, VerifyStatus } from './report.js';

/** How many older releases are looked at to tell which one a moving tag is at. */
const RELEASES_LOOKED_AT = 50;

type Finding = { status: VerifyStatus; digest: string; detail: string };

/** The destination side of one image: its tags, read once; each tag's digest and each digest's origin on first use. */
class DestinationView {
  private readonly digests = new Map<string, Promise<string | undefined>>();
  private readonly origins = new Map<string, Promise<MirrorOrigin>>();

  constructor(
    private readonly destination: Destination,
    readonly tags: readonly string[],
  ) {}

  digestOf(tag: string): Promise<string | undefined> {
    if (!this.tags.includes(tag)) return Promise.resolve(undefined);
    let known = this.digests.get(tag);
    if (known === undefined) {
      const { client, path } = this.destination;
      known = client.headManifest(path, tag).then((head) => head?.digest);
      this.digests.set(tag, known);
    }
    return known;
  }

  originOf(digest: string): Promise<MirrorOrigin> {
    let known = this.origins.get(digest);
    if (known === undefined) {
      const { client, path } = this.destination;
      known = readImageTree({ client, repository: path }, digest).then(mirrorOrigin);
      this.origins.set(digest, known);
    }
    return known;
  }

  /** The newest release tag in the candidate's scope whose image is `digest` (older releases only). */
  async releaseAt(candidate: RenderedTag, digest: string, below: SemVer): Promise<string | undefined> {
    const releases = this.tags
      .flatMap((tag) => newestReleaseInScope(candidate, [tag]) ?? [])
      .filter((release) => compareSemVer(release.version, below) < 0)
      .sort((a, b) => compareSemVer(b.version, a.version))
      .slice(0, RELEASES_LOOKED_AT);
    for (const release of releases) if ((await this.digestOf(release.tag)) === digest) return release.tag;
    return undefined;
  }
}

/** One row per planned tag (one for the digest when the image has no tag); pre-releases move no moving tag. */
export async function verifyTags(
  entry: PlanEntry,
  sourceDigest: string,
  destination: Destination,
): Promise<VerifyRow[]> {
  const { client, path, repository } = destination;
  const row = (tag: string, finding: Finding): VerifyRow => ({
    source: entry.sourceName,
    sourceDigest,
    repository: repository.repositoryUri,
    tag,
    ...finding,
  });
  if (entry.tags.length === 0) {
    const head = await client.headManifest(path, sourceDigest);
    return [row('', head ? { status: 'up-to-date', digest: head.digest, detail: '' } : missing('image missing'))];
  }
  const view = new DestinationView(destination, await client.listTags(path));
  const decision = decideTags(entry.tags, view.tags);
  const rows: VerifyRow[] = [];
  for (const candidate of entry.tags) {
    const version = candidate.sourceVersion;
    if (version !== undefined && isMovingTag(candidate) && isPrerelease(version)) continue;
    const heldBack = !decision.apply.includes(candidate.tag);
    rows.push(
      row(
        candidate.tag,
        heldBack ? await followsNewer(candidate, view) : await followsSource(candidate, sourceDigest, view),
      ),
    );
  }
  return rows;
}

function missing(detail: string): Finding {
  return { status: 'missing', digest: '', detail };
}

/** A tag this source should hold: its digest, or a builder made from it. */
async function followsSource(candidate: RenderedTag, sourceDigest: string, view: DestinationView): Promise<Finding> {
  const at = await view.digestOf(candidate.tag);
  if (at === undefined) return missing('tag missing');
  if (at === sourceDigest) return { status: 'up-to-date', digest: at, detail: '' };
  const origin = await view.originOf(at);
  if (origin.kind === 'recorded' && origin.sourceDigest === sourceDigest)
    return { status: 'up-to-date', digest: at, detail: 'builder with run-image mirror, made from the source' };
  if (origin.kind === 'unrecorded')
    return { status: 'mirrored', digest: at, detail: 'Docker manifests record no source digest: cannot tell' };
  const version = candidate.sourceVersion;
  if (isMovingTag(candidate) && version !== undefined) {
    const older = await view.releaseAt(candidate, at, version);
    if (older !== undefined) return { status: 'moving-tag-behind', digest: at, detail: `at ${older}` };
  }
  const made = origin.kind === 'recorded' ? `a builder made from ${origin.sourceDigest}` : '';
  return { status: 'different-digest', digest: at, detail: made };
}

/** A moving tag that a newer release in the destination holds (decideTags held it back): it should be there. */
async function followsNewer(candidate: RenderedTag, view: DestinationView): Promise<Finding> {
  const newest = newestReleaseInScope(candidate, view.tags)!;
  const at = await view.digestOf(candidate.tag);
  if (at === undefined) return missing(`tag missing (it should follow ${newest.tag})`);
  if (at === (await view.digestOf(newest.tag)))
    return { status: 'up-to-date', digest: at, detail: `follows ${newest.tag}, newer than the source` };
  const older = await view.releaseAt(candidate, at, newest.version);
  if (older !== undefined)
    return { status: 'moving-tag-behind', digest: at, detail: `at ${older}, not at the newest release ${newest.tag}` };
  return { status: 'different-digest', digest: at, detail: `not the image of ${newest.tag}, the newest release` };
}
