/** Moving tags (`latest`, `0.3`, …) are decided again just before they are written, so overlapping runs never move one backwards. */
import type { ManifestBytes } from '../oci/registry.js';
import { compareSemVer } from '../plan/semver.js';
import { decideTags, isMovingTag, newestReleaseInScope, type HeldBackTag, type RenderedTag } from '../plan/tags.js';
import type { RunContext } from './context.js';
import type { WorkItem } from './work-item.js';

export interface MovingTagsOutcome {
  written: string[];
  heldBack: HeldBackTag[];
}

/** The decided tags of an item that move; the others are written with the image. */
export function movingTagsOf(item: Pick<WorkItem, 'entry' | 'tags'>): RenderedTag[] {
  return item.entry.tags.filter((candidate) => isMovingTag(candidate) && item.tags.includes(candidate.tag));
}

/**
 * Writes the item's moving tags onto `root`, after listing the destination's tags once more: a newer
 * release written meanwhile by another run holds them back. Listing again afterwards catches a newer
 * release that landed between that check and the write; the tag then goes to the newest release.
 */
export async function writeMovingTags(
  item: WorkItem,
  root: ManifestBytes,
  run: RunContext,
): Promise<MovingTagsOutcome> {
  const candidates = movingTagsOf(item);
  if (candidates.length === 0) return { written: [], heldBack: [] };
  const { client, path, repository } = item.destination;
  const decision = decideTags(candidates, await client.listTags(path));
  const heldBack = [...decision.heldBack];
  for (const tag of decision.apply) {
    if ((await client.headManifest(path, tag))?.digest !== root.digest) await client.putManifest(path, tag, root);
  }
  const after = await client.listTags(path);
  const written: string[] = [];
  for (const candidate of candidates.filter((c) => decision.apply.includes(c.tag))) {
    const newest = newestReleaseInScope(candidate, after);
    const overtaken =
      newest !== undefined &&
      candidate.sourceVersion !== undefined &&
      compareSemVer(candidate.sourceVersion, newest.version) < 0;
    if (!overtaken) {
      written.push(candidate.tag);
      continue;
    }
    // Only a tag still on this image is handed on; one another run moved already is theirs.
    if ((await client.headManifest(path, candidate.tag))?.digest === root.digest) {
      await client.putManifest(path, candidate.tag, await client.getManifest(path, newest.tag));
    }
    heldBack.push({ tag: candidate.tag, reason: `${newest.tag} was published meanwhile by another run and keeps it` });
  }
  for (const held of heldBack)
    run.runtime.logger.notice(`${repository.repositoryUri}: tag "${held.tag}" not moved: ${held.reason}`);
  return { written, heldBack };
}
