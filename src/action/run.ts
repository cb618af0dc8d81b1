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

/** The main step. Every failure ends as one `core.setFailed` line. */
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
    if (outOfStep !== undefined) core.setFailed(outOfStep);
    else if (gateError !== undefined)
      core.setFailed(report.gates.length > 1 ? `${gateError} (no promote tag was applied to any image)` : gateError);
    else if (report.gateFailed)
      core.setFailed(
        'Scan gate failed: findings at or above the threshold (or untriaged) remain; no promote tag was applied. See the job summary.',
      );
  } catch (error) {
    // Every wrong input gets its own error line (and annotation).
    const lines = error instanceof InputErrors ? error.errors.map((e) => e.message) : [errorText(error)];
    for (const line of lines) core.setFailed(line);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
