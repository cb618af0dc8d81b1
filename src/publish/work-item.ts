/** An image on its way through a run: its plan entry, source, destination and decided tags, and its report line. */
import type { ImageKind } from '../cnb/classify.js';
import type { CopyStats, ImageTree } from '../oci/copy.js';
import type { RegistryClient } from '../oci/registry.js';
import type { Plan, PlanEntry } from '../plan/plan.js';
import type { HeldBackTag } from '../plan/tags.js';
import type { Destination } from './connections.js';
import type { PublishedImage } from './report.js';

/** A resolved image that still has to be written. */
export interface WorkItem {
  entry: PlanEntry;
  destination: Destination;
  sourceClient: RegistryClient;
  sourceDigest: string;
  tags: string[];
  heldBack: HeldBackTag[];
  tree: ImageTree;
  kind: ImageKind | 'unknown';
  /** `os/arch` of a single-manifest image, from its config. */
  platform?: string;
  /** A builder whose tree already carries its run-image mirror (staged and scanned so): written as it is. */
  finalMirror?: PublishedImage['mirror'];
}

/** What a report line needs of an image, whether it was written or already there. */
export type ReportedItem = Pick<WorkItem, 'entry' | 'destination' | 'sourceDigest' | 'tags' | 'heldBack' | 'kind'>;

export interface ImageOutcome {
  upToDate: boolean;
  mutated: boolean;
  platforms: string[];
  seconds: number;
  mirror?: PublishedImage['mirror'];
}

export function imageReport(
  item: ReportedItem,
  digest: string,
  stats: CopyStats,
  outcome: ImageOutcome,
): PublishedImage {
  return {
    source: item.entry.sourceName,
    sourceDigest: item.sourceDigest,
    repository: item.destination.repository.repositoryUri,
    repositoryName: item.destination.repository.repositoryName,
    digest,
    tags: item.tags,
    heldBackTags: item.heldBack,
    kind: item.kind,
    mutated: outcome.mutated,
    upToDate: outcome.upToDate,
    platforms: outcome.platforms,
    bytesUploaded: stats.bytesUploaded,
    bytesMounted: stats.bytesMounted,
    bytesSkipped: stats.bytesSkipped,
    foreignLayers: stats.foreignLayers.length,
    seconds: outcome.seconds,
    referrers: 0,
    ...(outcome.mirror !== undefined ? { mirror: outcome.mirror } : {}),
  };
}

export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Report lines in the order of the `images` input. */
export function inPlanOrder(images: readonly PublishedImage[], plan: Plan): PublishedImage[] {
  const order = new Map(plan.entries.map((entry, index) => [`${entry.sourceName} ${entry.repository}`, index]));
  const position = (image: PublishedImage) => order.get(`${image.source} ${image.repositoryName}`) ?? 0;
  return [...images].sort((a, b) => position(a) - position(b));
}
