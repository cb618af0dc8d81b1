// Builds dist/ (or the directory given as the first argument): tsc compiles src/, ncc bundles each entry point.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
const ncc = join('node_modules', '.bin', 'ncc');
const outDir = process.argv[2] ?? 'dist';
// Another output directory (the tests' bundle) gets its own tsc output, so it never races `npm run build`.
const libDir = outDir === 'dist' ? 'lib' : `${outDir}-lib`;

rmSync(libDir, { recursive: true, force: true });
run(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', libDir]);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const [entry, output] of [
  [join(libDir, 'index.js'), 'index.js'],
  [join(libDir, 'post.js'), 'post.js'],
]) {
  const out = mkdtempSync(join(tmpdir(), 'ncc-'));
  run(ncc, ['build', entry, '-o', out, '--license', 'licenses.txt', '--quiet']);
  copyFileSync(join(out, 'index.js'), join(outDir, output));
  if (output === 'index.js') copyFileSync(join(out, 'licenses.txt'), join(outDir, 'licenses.txt'));
  rmSync(out, { recursive: true, force: true });
}
// The bundles are ES modules whatever package.json a consumer's checkout has around them.
writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
