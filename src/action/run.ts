import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import type { IgnoreEntry } from '../aws/scan-policy.js';
import { publish, type GateReport } from '../publish/publish.js';
import { systemRuntime } from '../runtime.js';
import { dockerLogin } from './docker-login.js';
import { readInputsFromActions } from './inputs.js';
import { actionsLogger } from './log.js';
import { setOutputs } from './outputs.js';
import { writeSummary } from './summary.js';

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
}

/** Enough to act on from the run's annotations list; the job summary has the rest. */
export const MAX_FINDING_ANNOTATIONS = 20;

const describeEntry = (entry: IgnoreEntry): string => (entry.until !== undefined ? `${entry.id} until ${entry.until}` : entry.id);

/**
 * What the scan gates leave in the run's annotations: an error per failing finding (one per
 * vulnerability and package, its platforms listed), a warning per expired `scan-ignore` entry and
 * a notice per entry that matched nothing in any gated image.
 */
export function gateAnnotations(gates: readonly GateReport[]): Annotation[] {
  const results = gates.flatMap((g) => (g.gate !== undefined ? [g.gate] : []));
  const failing = new Map<string, { message: string; platforms: string[] }>();
  for (const gate of results) {
    for (const finding of gate.failing) {
      const key = JSON.stringify([gate.repositoryName, gate.imageDigest, finding.id, finding.package, finding.installedVersion]);
      const fix = finding.fixedInVersion !== undefined && finding.fixedInVersion !== '' ? `; fixed in ${finding.fixedInVersion}` : '';
      const found = failing.get(key) ?? {
        message: `${finding.id} (${finding.reportedSeverity}) in ${finding.package || 'an unnamed package'} ${finding.installedVersion}${fix}: ${gate.repositoryName}@${gate.imageDigest}`,
        platforms: [],
      };
      found.platforms.push(finding.platform ?? finding.platformDigest);
      failing.set(key, found);
    }
  }
  const errors = [...failing.values()].map(({ message, platforms }) => ({ level: 'error' as const, message: `Scan gate: ${message} [${platforms.join(', ')}]` }));
  const annotations: Annotation[] = errors.slice(0, MAX_FINDING_ANNOTATIONS);
  if (errors.length > MAX_FINDING_ANNOTATIONS) {
    annotations.push({ level: 'error', message: `Scan gate: ${errors.length - MAX_FINDING_ANNOTATIONS} more failing finding(s); see the job summary` });
  }

  // scan-ignore is one list for every image: expiry is the same everywhere, and an entry is unused only if no image used it.
  const expired = new Map<string, IgnoreEntry>();
  for (const gate of results) for (const entry of gate.expiredIgnores) expired.set(describeEntry(entry), entry);
  for (const [text, entry] of expired) {
    annotations.push({ level: 'warning', message: `scan-ignore entry "${text}" expired after ${entry.until ?? ''} and ignores nothing any more; renew or remove it` });
  }
  const unmatched = results.length === 0 ? [] : results[0]!.unmatchedIgnores.filter((entry) => results.every((gate) => gate.unmatchedIgnores.some((e) => describeEntry(e) === describeEntry(entry))));
  for (const entry of unmatched) {
    annotations.push({ level: 'notice', message: `scan-ignore entry "${describeEntry(entry)}" matched no finding in the gated image(s); remove it if it is no longer needed` });
  }
  return annotations;
}

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
    for (const annotation of gateAnnotations(report.gates)) core[annotation.level](annotation.message);
    if (inputs.dockerLogin && !report.dryRun) await dockerLogin(report.logins);
    const gateError = report.gates.find((g) => g.error !== undefined)?.error;
    if (gateError !== undefined) core.setFailed(report.gates.length > 1 ? `${gateError} (no promote tag was applied to any image)` : gateError);
    else if (report.gateFailed) core.setFailed('Scan gate failed: findings at or above the threshold remain; no promote tag was applied. See the job summary.');
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
