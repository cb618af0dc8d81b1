/** The whole local world of a release run (hub, registries, AWS emulator) and running the action bundle in it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAwsEmulator, type AwsEmulator, type AwsEmulatorOptions } from './aws-emulator.js';
import { startDockerHubFront, type DockerHubFront, type DockerHubFrontOptions } from './docker-hub-front.js';
import { startProxy, type Proxy } from './http-proxy.js';
import { startRegistry, type LocalRegistry } from './registry.js';
import { repoRoot } from './repo-root.js';

export const REPO_ROOT = repoRoot();

/**
 * Everything a release run touches, on loopback: a Docker-Hub-like source, two real registries
 * behind the AWS emulator (private ECR with Basic auth, ECR Public), and the emulator itself.
 */
export interface World {
  source: LocalRegistry;
  hub: DockerHubFront;
  privateRegistry: LocalRegistry;
  publicRegistry: LocalRegistry;
  aws: AwsEmulator;
  /** With `doors`: the counting proxies the destination registries are reached through (their `host` is the door's). */
  doors?: { private: Proxy; public: Proxy };
  /** The action bundle runAction runs: `index.js` and `post.js`. */
  bundleDir: string;
  /** Runs `node <bundleDir>/index.js` as the runner does. */
  runAction(inputs: Record<string, string>, extraEnv?: Record<string, string>): Promise<ActionRun>;
  close(): Promise<void>;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The GITHUB_STATE file, for the post step. */
  state: string;
  /** Everything the action printed. */
  printed: string;
}

export interface WorldOptions {
  aws?: AwsEmulatorOptions;
  hub?: Omit<DockerHubFrontOptions, 'registryUrl'>;
  /** Put a counting proxy in front of each destination registry, to count what a run reads and writes there. */
  doors?: boolean;
  /** Which bundle runs; the committed `dist/` unless told (tests build their own from src/). */
  bundleDir?: string;
  /** Put counting proxies in front of both destination registries (e.g. to prove a run writes nothing). */
  countDestinationRequests?: boolean;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const bundleDir = options.bundleDir ?? join(REPO_ROOT, 'dist');
  const source = await startRegistry();
  const hub = await startDockerHubFront({ registryUrl: source.url, ...(options.hub ?? {}) });
  const privateBackend = await startRegistry({ auth: true });
  const publicBackend = await startRegistry({ auth: true });
  const doors =
    options.doors === true
      ? {
          private: await startProxy({ target: privateBackend.url }),
          public: await startProxy({ target: publicBackend.url }),
        }
      : undefined;
  const through = (registry: LocalRegistry, door: Proxy | undefined): LocalRegistry =>
    door === undefined ? registry : { ...registry, host: door.host, url: door.url };
  const privateRegistry = through(privateBackend, doors?.private);
  const publicRegistry = through(publicBackend, doors?.public);
  const aws = await startAwsEmulator({
    ...options.aws,
    registries: {
      private: {
        host: privateRegistry.host,
        username: 'AWS',
        password: privateRegistry.password!,
      },
      public: {
        host: publicRegistry.host,
        username: 'AWS',
        password: publicRegistry.password!,
      },
    },
  });
  return {
    source,
    hub,
    privateRegistry,
    publicRegistry,
    aws,
    ...(doors !== undefined ? { doors } : {}),
    bundleDir,
    runAction: (inputs, extraEnv) => runAction(aws, inputs, extraEnv, bundleDir),
    async close() {
      await aws.close();
      await hub.close();
      await doors?.private.close();
      await doors?.public.close();
      await Promise.all([source.stop(), privateRegistry.stop(), publicRegistry.stop()]);
    },
  };
}

const GITHUB_TOKEN_EXPRESSION = /\$\{\{\s*github\.token\s*\}\}/g;

/**
 * Action defaults as the runner fills them from action.yml; the runner resolves `${{ github.token }}`, here to
 * the given token (a test's GITHUB_TOKEN) or empty.
 */
export function actionDefaults(githubToken = ''): Record<string, string> {
  const yaml = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
  const result: Record<string, string> = {};
  const block = yaml.slice(yaml.indexOf('\ninputs:'), yaml.indexOf('\noutputs:'));
  const names = [...block.matchAll(/^ {2}([a-z0-9-]+):\n((?: {4}.*\n|\s*\n)*)/gm)];
  for (const [, name, body] of names) {
    const plain = /^ {4}default: (.*)$/m.exec(body ?? '');
    const literal = /^ {4}default: \|\n((?: {6}.*\n)+)/m.exec(body ?? '');
    if (literal?.[1] !== undefined) result[name!] = literal[1].replace(/^ {6}/gm, '');
    else if (plain?.[1] !== undefined) result[name!] = plain[1].replace(/^'(.*)'$/, '$1');
  }
  for (const [name, value] of Object.entries(result))
    result[name] = value.replace(GITHUB_TOKEN_EXPRESSION, githubToken);
  return result;
}

/** Parses `name<<DELIM\nvalue\nDELIM` blocks of a GITHUB_OUTPUT file. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (match === null) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i] ?? '');
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}

export async function runAction(
  aws: AwsEmulator,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  bundleDir = join(REPO_ROOT, 'dist'),
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-publish-run-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const stateFile = join(dir, 'state');
  for (const file of [outputFile, summaryFile, stateFile]) writeFileSync(file, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: dir,
    ...aws.env(),
    ...extraEnv,
  };
  for (const [name, value] of Object.entries({ ...actionDefaults(extraEnv.GITHUB_TOKEN ?? ''), ...inputs })) {
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  const child = spawn(process.execPath, [join(bundleDir, 'index.js')], {
    env,
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const result: ActionRun = {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    state: readFileSync(stateFile, 'utf8'),
    printed: `${stdout}\n${stderr}`,
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}
