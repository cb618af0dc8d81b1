// Jest globalSetup of the e2e project: checks the system tools, then bundles the current src/ into .tmp/test-dist
// unless it is already built.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import systemToolsSetup from './system-tools-setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join('.tmp', 'test-dist');
// Everything the bundle is made of; package-lock.json stands for node_modules.
const sourceDirs = ['src'];
const sourceFiles = ['package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-dist.mjs'];

function sourceHash() {
  const inDirs = sourceDirs.flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name))),
  );
  const hash = createHash('sha256');
  for (const path of [...inDirs, ...sourceFiles].sort()) {
    hash
      .update(`${path}\0`)
      .update(readFileSync(join(root, path)))
      .update('\0');
  }
  return hash.digest('hex');
}

export default function buildTestBundle() {
  systemToolsSetup();
  const stamp = join(root, outDir, 'source-hash');
  const hash = sourceHash();
  const built = ['index.js', 'post.js'].every((f) => existsSync(join(root, outDir, f)));
  if (built && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  const build = spawnSync(process.execPath, ['scripts/build-dist.mjs', outDir], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the test bundle failed:\n${build.stdout}${build.stderr}`);
  writeFileSync(stamp, hash);
}
