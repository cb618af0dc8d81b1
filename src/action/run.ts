import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { publish } from '../publish.js';
import { systemRuntime } from '../runtime.js';
import { dockerLogin } from './docker-login.js';
import { readInputsFromActions } from './inputs.js';
import { actionsLogger } from './log.js';
import { setOutputs } from './outputs.js';
import { writeSummary } from './summary.js';

/** The main step. Every failure ends as one `core.setFailed` line. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputsFromActions();
    const report = await publish(inputs, {
      runtime: systemRuntime(actionsLogger),
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
    if (inputs.dockerLogin && !report.dryRun) await dockerLogin(report.logins);
    if (report.gateFailed) core.setFailed('Scan gate failed: findings at or above the threshold remain; no promote tag was applied. See the job summary.');
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
