/** The main step: read inputs, publish, then report through outputs, summary, annotations and the GitHub release. */
import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { publish } from '../publish/publish.js';
import { systemRuntime } from '../runtime.js';
import { dockerLogin } from './docker-login.js';
import { gateAnnotations } from './gate-report.js';
import { InputErrors, readInputsFromActions } from './inputs.js';
import { actionsLogger } from './log.js';
import { setOutputs } from './outputs.js';
import { prepareReleaseNotes } from './release-notes.js';
import { writeSummary } from './summary.js';
import { verifyFailure } from './verify-summary.js';

/** The main step. Every failure ends as one `core.setFailed` line (detail lines, if any, follow it in the log). */
export async function run(): Promise<void> {
  try {
    const inputs = readInputsFromActions();
    const runtime = systemRuntime(actionsLogger);
    // Checked before publishing: a missing release or refused token must not surface after the copy.
    const releaseNotes = await prepareReleaseNotes(inputs, runtime);
    const report = await publish(inputs, {
      runtime,
      tempDir: process.env.RUNNER_TEMP || tmpdir(),
      github: {
        getIdToken: (audience) => core.getIDToken(audience),
        idTokenAvailable: (process.env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '') !== '',
        setSecret: (value) => core.setSecret(value),
        group: (name, work) => core.group(name, work),
      },
    });
    setOutputs(report);
    await writeSummary(report);
    for (const annotation of gateAnnotations(report.gates)) core[annotation.level](annotation.message);
    await releaseNotes?.write(report);
    if (inputs.dockerLogin && !report.dryRun) await dockerLogin(report.logins);
    const gateError = report.gates.find((g) => g.error !== undefined)?.error;
    const outOfStep = report.verify === undefined ? undefined : verifyFailure(report.verify);
    // A staged release that failed its gate published nothing; the staged copies stay for a re-run.
    const unpublished =
      report.staging?.published === false
        ? `nothing of the release was published to ${report.registry}; the staged copies are in ${report.staging.at}`
        : undefined;
    if (outOfStep !== undefined) core.setFailed(outOfStep);
    else if (gateError !== undefined && unpublished !== undefined) core.setFailed(`${gateError} (${unpublished})`);
    else if (gateError !== undefined)
      core.setFailed(report.gates.length > 1 ? `${gateError} (no promote tag was applied to any image)` : gateError);
    else if (report.gateFailed)
      core.setFailed(
        `Scan gate failed: findings at or above the threshold (or untriaged) remain; ${unpublished ?? 'no promote tag was applied'}. See the job summary.`,
      );
  } catch (error) {
    // Every wrong input gets its own error line (and annotation).
    if (error instanceof InputErrors) for (const inputError of error.errors) core.setFailed(inputError.message);
    else reportFailure(error instanceof Error ? error.message : String(error));
  }
}

/**
 * GitHub collapses the lines of one annotation, so the first line is the error and any detail lines follow it in the
 * log. Detail lines the runner could read as workflow commands stay inside the escaped annotation instead.
 */
export function reportFailure(message: string): void {
  const [headline = '', ...details] = message.split(/\r\n|\r|\n/);
  if (details.some((line) => /^\s*::|##\[/.test(line))) {
    core.setFailed(message);
    return;
  }
  core.setFailed(headline);
  for (const line of details) core.info(line);
}
