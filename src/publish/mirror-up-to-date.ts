/** A re-run's fast path for a mutated builder: its tags already hold what this run would make, known from annotations. */
import { readMirrorRecord } from '../cnb/mirror-record.js';
import { tagsAlreadyAt } from '../oci/copy.js';
import { isJsonObject, parseJsonObject } from '../oci/json.js';
import type { PlanEntry } from '../plan/plan.js';
import type { Destination } from './connections.js';
import type { RunContext } from './context.js';
import type { BuilderMirrorReport } from './report.js';
import { lookUpCopy } from './run-image-copies.js';

export interface MirroredBuilderAt {
  digest: string;
  mirror: BuilderMirrorReport;
}

/**
 * The builder at the destination's first tag, when it was made from `sourceDigest` in this run's mode
 * with exactly the copies this run would name, and every tag holds it. Reads one destination manifest and
 * HEADs the copies; nothing from the source beyond the HEAD already made. Docker media types carry no
 * annotations, so those builders are made again (the same bytes, so still no tag moves).
 */
export async function mirroredBuilderAt(
  entry: PlanEntry,
  sourceDigest: string,
  destination: Destination,
  run: RunContext,
): Promise<MirroredBuilderAt | undefined> {
  const mode = run.inputs.runImageMirror;
  const tags = entry.tags.map((t) => t.tag);
  if (mode === false || tags[0] === undefined) return undefined;
  const head = await destination.client.headManifest(destination.path, tags[0]);
  if (head === undefined) return undefined;
  const manifest = await destination.client.getManifest(destination.path, head.digest, head.digest);
  let annotations: unknown;
  try {
    annotations = parseJsonObject(manifest.bytes, 'manifest')['annotations'];
  } catch {
    return undefined; // not ours to judge here; the copy path reports what is wrong
  }
  const record = isJsonObject(annotations) ? readMirrorRecord(annotations) : undefined;
  if (record === undefined || record.sourceDigest !== sourceDigest || record.mode !== mode) return undefined;
  for (const runImage of record.runImages) {
    const lookup = await lookUpCopy(runImage.source, run);
    // A run image this run publishes may get its copy later in the run: the copy path decides.
    if ('missing' in lookup && lookup.planned) return undefined;
    if (('copy' in lookup ? lookup.copy : undefined) !== runImage.copy) return undefined;
  }
  if (!(await tagsAlreadyAt({ client: destination.client, repository: destination.path, tags }, head.digest))) {
    return undefined;
  }
  const runImages = record.runImages.flatMap((r) => (r.copy === undefined ? [] : [{ source: r.source, copy: r.copy }]));
  return { digest: head.digest, mirror: { mode, runImages, platforms: [] } };
}
