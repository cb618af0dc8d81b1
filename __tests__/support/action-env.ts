/** A runner-like environment for action code run in-process: output and summary files, INPUT_*, stdout. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionDefaults, parseOutputFile } from '../../testbed/world.js';

export interface ActionEnv {
  /** The GITHUB_OUTPUT file, parsed. */
  outputs(): Record<string, string>;
  /** The GITHUB_STEP_SUMMARY file. */
  summary(): string;
  /** `INPUT_<NAME>` for every input, action.yml's defaults filled in as the runner does. */
  setInputs(inputs: Record<string, string>): void;
  /** Empties the files and drops the inputs, between tests. */
  reset(): void;
  /** Restores process.env and process.exitCode, removes the files. */
  restore(): void;
}

/**
 * Points GITHUB_OUTPUT and GITHUB_STEP_SUMMARY at fresh files for a whole test file: @actions/core
 * caches the summary path on first use, so the files stay and reset() empties them.
 */
export function actionEnv(): ActionEnv {
  const dir = mkdtempSync(join(tmpdir(), 'action-env-'));
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), RUNNER_TEMP: dir };
  const saved = { ...process.env };
  const savedExitCode = process.exitCode;
  const dropInputs = () => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('INPUT_') && saved[name] === undefined) delete process.env[name];
    }
  };
  const reset = () => {
    writeFileSync(files.GITHUB_OUTPUT, '');
    writeFileSync(files.GITHUB_STEP_SUMMARY, '');
    dropInputs();
    process.exitCode = savedExitCode;
  };
  Object.assign(process.env, files);
  reset();
  return {
    outputs: () => parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: () => readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    setInputs(inputs) {
      for (const [name, value] of Object.entries({ ...actionDefaults(), ...inputs })) {
        process.env[`INPUT_${name.toUpperCase()}`] = value;
      }
    },
    reset,
    restore() {
      dropInputs();
      for (const name of Object.keys(files)) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      process.exitCode = savedExitCode;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What `work` printed to stdout, where @actions/core writes log lines and workflow commands. */
export async function captureStdout<T>(work: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await work(), stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}
