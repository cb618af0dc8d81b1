// Runs dist/index.js the way the GitHub runner does: every input as INPUT_<NAME> (defaults from
// action.yml filled in, as the runner does), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE
// files and RUNNER_TEMP in a fresh directory, plus the AWS emulator's endpoints.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Input defaults as the runner reads them from action.yml (plain and `|` block scalars); `${{ github.token }}`
 * becomes the given token (the run's GITHUB_TOKEN) or empty, as the runner resolves it.
 */
export function actionDefaults(actionYmlPath, githubToken = '') {
  const lines = readFileSync(actionYmlPath, 'utf8').split('\n');
  const start = lines.indexOf('inputs:');
  const defaults = {};
  let input;
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]); i++) {
    const line = lines[i];
    const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (name) {
      input = name[1];
      continue;
    }
    const value = /^ {4}default:\s?(.*)$/.exec(line);
    if (!value || input === undefined) continue;
    if (value[1] === '|') {
      const block = [];
      while (i + 1 < lines.length && /^ {6}/.test(lines[i + 1])) block.push(lines[++i].slice(6));
      defaults[input] = `${block.join('\n')}\n`;
    } else {
      defaults[input] = value[1].replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
    }
  }
  for (const [name, value] of Object.entries(defaults))
    defaults[name] = value.replace(/\$\{\{\s*github\.token\s*\}\}/g, githubToken);
  return defaults;
}

/** A fresh runner-like directory and the environment for one action run. */
export function actionRunEnvironment({ actionYmlPath, parentDir, inputs, extraEnv }) {
  const dir = mkdtempSync(join(parentDir, 'action-run-'));
  const files = {
    output: join(dir, 'output'),
    summary: join(dir, 'summary'),
    state: join(dir, 'state'),
    peakRss: join(dir, 'peak-rss'),
  };
  for (const file of [files.output, files.summary, files.state]) writeFileSync(file, '');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: dir,
    BENCH_PEAK_RSS_FILE: files.peakRss,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries({
    ...actionDefaults(actionYmlPath, extraEnv?.GITHUB_TOKEN ?? ''),
    ...inputs,
  }))
    env[`INPUT_${name.toUpperCase()}`] = value;
  return { dir, files, env };
}

/** `name<<DELIMITER` … `DELIMITER` blocks of a GITHUB_OUTPUT file. */
export function readOutputs(path) {
  const outputs = {};
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!head) continue;
    const value = [];
    for (i++; i < lines.length && lines[i] !== head[2]; i++) value.push(lines[i]);
    outputs[head[1]] = value.join('\n');
  }
  return outputs;
}
