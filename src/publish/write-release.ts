/** Resolve → lifecycle images → copy by stage: what a run writes to its destination, in plan order. */
import type { CopiedImage } from './copy.js';
import { copyByStage } from './copy.js';
import type { RunContext } from './context.js';
import { addLifecycleImages } from './lifecycle.js';
import type { LifecycleCopy, PublishedImage } from './report.js';
import { resolveImages } from './resolve.js';
import { inPlanOrder } from './work-item.js';

export interface WrittenRelease {
  /** Every image of the run's plan (lifecycle images added), written now or already there. */
  images: PublishedImage[];
  /** The images written now, with their trees. */
  copied: CopiedImage[];
  lifecycle?: LifecycleCopy[];
}

/** `verb` names the groups in the log, e.g. `Publish` or `Stage`. */
export async function writeRelease(run: RunContext, verb: string): Promise<WrittenRelease> {
  const { github, inputs } = run;
  const resolved = await github.group('Resolve', () => resolveImages(run));
  const lifecycle = inputs.lifecycleImage
    ? await github.group('Lifecycle image', () => addLifecycleImages(resolved, run))
    : undefined;
  const copied = await github.group(`${verb} ${resolved.pending.length} image(s)`, () =>
    copyByStage(resolved.pending, run),
  );
  const images = inPlanOrder([...resolved.upToDate, ...copied.map((c) => c.image)], run.plan);
  return { images, copied, ...(lifecycle !== undefined ? { lifecycle } : {}) };
}
