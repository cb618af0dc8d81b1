// Compiles the engine (src/) and the local stand-ins (testbed/) to plain ESM in
// .tmp/bench-build, so the benchmark and its child processes run them with bare `node`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const buildDir = join(repoRoot, '.tmp', 'bench-build');

const entries = [
  'src/oci/copy.ts',
  'src/oci/registry.ts',
  'src/oci/spool.ts',
  'src/oci/transport/transport.ts',
  'src/retry.ts',
  'testbed/http-proxy.ts',
  'testbed/docker-hub-front.ts',
  'testbed/registry.ts',
  'testbed/images.ts',
  // The AWS emulator (with its aws-emulator/ folder and repo-root.ts) serves dist/index.js STS and ECR.
  'testbed/aws-emulator.ts',
  'testbed/mount-modes.ts',
];

/** Runs tsc once; type errors elsewhere in a repo under active work do not stop the emit. */
export function buildEngine({ quiet = false } = {}) {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '--outDir',
    buildDir,
    '--rootDir',
    repoRoot,
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--lib',
    'ES2023',
    '--types',
    'node',
    '--esModuleInterop',
    '--skipLibCheck',
    '--strict',
    '--noEmitOnError',
    'false',
    ...entries.map((e) => join(repoRoot, e)),
  ];
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
  if (
    !existsSync(join(buildDir, 'src', 'oci', 'copy.js')) ||
    !existsSync(join(buildDir, 'testbed', 'aws-emulator.js'))
  ) {
    throw new Error(`bench build failed:\n${result.stdout}${result.stderr}`);
  }
  if (!quiet && result.status !== 0)
    process.stderr.write(`bench build: tsc reported errors (emitted anyway):\n${result.stdout.slice(0, 2000)}\n`);
  return buildDir;
}

export const built = (relative) => join(buildDir, relative);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildEngine();
  console.log(`built ${buildDir}`);
}
