/** docker login/logout for the destination registries, so later workflow steps can push and pull. */
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import type { RegistryLogin } from '../aws/ecr.js';

const STATE_KEY = 'docker-logins';

/** `docker login --password-stdin`: the password goes through stdin, never argv or a shell. */
export async function dockerLogin(logins: RegistryLogin[]): Promise<void> {
  const registries: string[] = [];
  for (const login of logins) {
    await exec.exec('docker', ['login', '--username', login.username, '--password-stdin', login.registry], {
      input: Buffer.from(login.password),
    });
    registries.push(login.registry);
  }
  core.saveState(STATE_KEY, JSON.stringify(registries));
}

/** The post step: log out of what the main step logged in to. */
export async function dockerLogout(): Promise<void> {
  const saved = core.getState(STATE_KEY);
  if (saved === '') return;
  for (const registry of JSON.parse(saved) as string[]) {
    await exec.exec('docker', ['logout', registry], { ignoreReturnCode: true });
  }
}

/** The post step never fails the job: a stale login is worth a warning only. */
export async function postStep(): Promise<void> {
  try {
    await dockerLogout();
  } catch (error) {
    core.warning(`docker logout: ${error instanceof Error ? error.message : String(error)}`);
  }
}
