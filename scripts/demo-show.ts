// How the demo shows a run: the action's log and job summary as a terminal reader wants them.
import { renderRunnerLog, summaryAsText } from '../testbed/runner-log.js';
import type { ActionRun, World } from '../testbed/world.js';

// Runners run the action on node24; on an older local Node the AWS SDK warns about the version on stderr.
const QUIET_SDK = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export const say = (text = ''): void => console.log(text);
export const act = (text: string): void => say(`\n━━━━ ${text}\n`);

/**
 * Runs the action and shows what a reader of the run would look at: its log, rendered as the
 * runner shows it, and the job summary sections `wanted` picks (by their first line).
 */
export async function runAndShow(
  world: World,
  title: string,
  inputs: Record<string, string>,
  wanted: (firstLine: string) => boolean = () => true,
): Promise<ActionRun> {
  const began = Date.now();
  const run = await world.runAction(inputs, QUIET_SDK);
  say(`── ${title} (exit ${run.code}, ${((Date.now() - began) / 1000).toFixed(1)} s) ── action log`);
  say(renderRunnerLog(run.stdout));
  if (run.stderr.trim() !== '') say(renderRunnerLog(run.stderr));
  const sections = summaryAsText(run.summary)
    .split(/\n\n(?=#|▸ )/)
    .filter((section) => wanted(section.split('\n')[0] ?? ''));
  if (sections.length > 0) say(`── job summary\n${sections.join('\n\n')}`);
  return run;
}
