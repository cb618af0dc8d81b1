/** What a run does besides copying, told before it runs (dry run): moving tags, run-image mirrors, gate, promotion, retention. */
// A dry run reads no image, so what depends on an image's labels is told by name, and said to be.
import type { Inputs } from '../inputs.js';
import { baseName } from '../plan/naming.js';
import type { Plan, PlanEntry } from '../plan/plan.js';
import { decideTags, isMovingTag } from '../plan/tags.js';
import type { PlannedStep } from './report.js';

/** Paketo's and most projects' names: `builder-jammy-base`, `run-jammy-base`, `ubi-8-run`. */
const looksLike = (word: string, entry: PlanEntry): boolean =>
  new RegExp(`(^|[-_.])${word}([-_.]|$)`).test(baseName(entry.source.repository));

function where(entry: PlanEntry, registry: string | undefined): string {
  return registry === undefined ? entry.repository : `${registry}/${entry.repository}`;
}

function movingTagsStep(plan: Plan): PlannedStep[] {
  const moving = new Set(
    plan.entries.flatMap((entry) => {
      const written = new Set(decideTags(entry.tags, []).apply);
      return entry.tags.filter((t) => isMovingTag(t) && written.has(t.tag)).map((t) => t.tag);
    }),
  );
  if (moving.size === 0) return [];
  return [
    {
      step: 'Moving tags',
      detail:
        `${[...moving].join(', ')} move only when the destination holds no newer release in their scope: ` +
        'the real run checks just before writing; a dry run does not look',
    },
  ];
}

function mirrorSteps(inputs: Inputs, plan: Plan, registry: string | undefined): PlannedStep[] {
  const mode = inputs.runImageMirror;
  if (mode === false)
    return [{ step: 'Run-image mirror', detail: 'off (run-image-mirror: false): builders are copied byte for byte' }];
  const step = `Run-image mirror (${mode})`;
  const gets =
    mode === 'auto'
      ? 'gets, as a mirror, the ECR copy of each run image it names'
      : 'gets the ECR copy of each run image it names as that run image, the original kept as its first mirror';
  const runImages = plan.entries.filter((entry) => looksLike('run', entry));
  const planned =
    runImages.length > 0
      ? `run images in this release by name: ${runImages.map((e) => `${e.sourceName} → ${where(e, registry)}`).join(', ')}`
      : 'no run image in this release by name: each must already be in the destination';
  const builders = plan.entries.filter((entry) => looksLike('builder', entry));
  if (builders.length === 0)
    return [{ step, detail: `every builder ${gets} (none is a builder by its name; a dry run reads no image)` }];
  return builders.map((builder) => ({
    step,
    detail: `${where(builder, registry)} (a builder by its name) ${gets}; the run images are read from its label when publishing; ${planned}`,
  }));
}

/** `promote-tags` with scan-severity-threshold NONE: promotion without a gate, which the run does, so it says so. */
export function promotionWithoutGate(inputs: Inputs): string | undefined {
  if (inputs.registryType !== 'private' || inputs.promoteTags.length === 0 || inputs.scanSeverityThreshold !== 'NONE')
    return undefined;
  return (
    `promote-tags: ${inputs.promoteTags.join(', ')} will be applied to every image once all are published, with no ` +
    'scan gate (scan-severity-threshold is NONE); set scan-severity-threshold to promote only what passes a scan'
  );
}

function gateSteps(inputs: Inputs): PlannedStep[] {
  if (inputs.registryType !== 'private') return [];
  const steps: PlannedStep[] = [];
  const threshold = inputs.scanSeverityThreshold;
  if (threshold !== 'NONE') {
    const ignored = inputs.scanIgnore.length;
    steps.push({
      step: 'Scan gate',
      detail:
        `every image's scan is read in ECR; a finding at ${threshold} or above (or UNTRIAGED, or unknown) fails the ` +
        `release; ${ignored} scan-ignore entr${ignored === 1 ? 'y' : 'ies'}; waits up to ${inputs.scanTimeoutSeconds} s`,
    });
  }
  if (inputs.promoteTags.length > 0) {
    const tags = inputs.promoteTags.join(', ');
    steps.push({
      step: 'Promotion',
      detail:
        threshold === 'NONE'
          ? `${tags} applied to every image once all are published, with no scan gate (scan-severity-threshold NONE)`
          : `${tags} applied to every image once every image passed the gate; to none if one fails`,
    });
  }
  return steps;
}

function publicSteps(inputs: Inputs): PlannedStep[] {
  if (inputs.registryType !== 'public') return [];
  const steps: PlannedStep[] = [];
  if (inputs.catalogData === 'auto')
    steps.push({
      step: 'Catalog data',
      detail: "each repository's Gallery entry is derived from labels and platforms",
    });
  if (inputs.publicRetention > 0) {
    steps.push({
      step: 'Retention',
      detail:
        `keeps the newest ${inputs.publicRetention} semver version(s) per repository and deletes older ones, never ` +
        'an image a kept tag, a kept builder or this run needs',
    });
  }
  return steps;
}

/** What the real run would do besides copying the planned images, one step a line. */
export function plannedSteps(inputs: Inputs, plan: Plan, registry: string | undefined): PlannedStep[] {
  return [
    ...movingTagsStep(plan),
    ...mirrorSteps(inputs, plan, registry),
    ...gateSteps(inputs),
    ...publicSteps(inputs),
  ];
}
