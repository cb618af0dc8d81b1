/** Where each run image a builder names has its copy in the destination: published in this run or already there. */
import type { RunImageTarget } from '../cnb/run-images.js';
import { formatReference, manifestReference, parseReference } from '../oci/reference.js';
import { destinationRepository } from '../plan/naming.js';
import type { PlanEntry } from '../plan/plan.js';
import { mirrorTargetOf, type RunContext } from './context.js';

/** The copy's reference, or why there is none; `planned` when this run publishes the run image. */
export type CopyLookup = { copy: string } | { missing: string; planned: boolean };

/**
 * Maps the run image through the plan (or the naming rules) to its destination repository, and
 * HEADs the reference the builder names there: a mirror must never point at nothing.
 */
export async function lookUpCopy(runImage: string, run: RunContext): Promise<CopyLookup> {
  let ref;
  try {
    ref = parseReference(runImage);
  } catch (error) {
    return {
      missing: `its run image "${runImage}" is not a valid reference (${(error as Error).message})`,
      planned: false,
    };
  }
  const target = mirrorTargetOf(run);
  const entry = target.plan.entries.find(
    (e) => e.source.registry === ref.registry && e.source.repository === ref.repository,
  );
  const planned = entry !== undefined;
  const name = entry?.repository ?? destinationRepository(ref, target.repositoryPrefix);
  let repositoryUri: string;
  try {
    repositoryUri = (await target.connections.ensure(name, false)).repositoryUri;
  } catch (error) {
    return {
      missing: `its run image ${runImage} maps to repository "${name}", which does not exist: add the run image to "images" (${(error as Error).message})`,
      planned,
    };
  }
  const destination = target.connections.destination(name);
  const reference = manifestReference(ref);
  const at = `${repositoryUri}${ref.digest !== undefined ? '@' : ':'}${reference}`;
  // A staged release writes its run images before its builders, and only once every image passed the gate:
  // a copy this release will write under that tag is named before it exists.
  const willWrite = (e: PlanEntry) => e.repository === name && e.tags.some((t) => t.tag === reference);
  if (target.later && ref.digest === undefined && target.plan.entries.some(willWrite)) return { copy: at };
  if ((await destination.client.headManifest(destination.path, reference)) === undefined) {
    return {
      missing: `its run image ${runImage} maps to ${at}, which was neither published in this run nor found there: add ${formatReference(ref)} to "images"`,
      planned,
    };
  }
  return { copy: at };
}

/**
 * Every run image with its copy. A run image without one is named in a warning and left as it is;
 * none at all is an error, since the builder would gain nothing.
 */
export async function runImageCopies(
  builder: string,
  names: readonly string[],
  run: RunContext,
): Promise<RunImageTarget[]> {
  const lookups = await Promise.all(names.map((name) => lookUpCopy(name, run)));
  const missing = lookups.flatMap((l) => ('missing' in l ? [l.missing] : []));
  if (missing.length === names.length) {
    throw new Error(
      missing.length === 1
        ? `builder ${builder}: ${missing[0]!}`
        : `builder ${builder}: none of its run images has a copy in the destination: ${missing.join('; ')}`,
    );
  }
  for (const reason of missing) {
    run.runtime.logger.warning(`builder ${builder}: ${reason}; it is left without a destination copy`);
  }
  return names.map((source, i) => {
    const lookup = lookups[i]!;
    return 'copy' in lookup ? { source, copy: lookup.copy } : { source };
  });
}
