// Builds dist/: tsc compiles src/ to lib/, then ncc bundles each entry point into one file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
const ncc = join('node_modules', '.bin', 'ncc');

rmSync('lib', { recursive: true, force: true });
run(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json']);
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
for (const [entry, output] of [['lib/index.js', 'index.js'], ['lib/post.js', 'post.js']]) {
  const out = mkdtempSync(join(tmpdir(), 'ncc-'));
  run(ncc, ['build', entry, '-o', out, '--license', 'licenses.txt', '--quiet']);
  copyFileSync(join(out, 'index.js'), join('dist', output));
  if (output === 'index.js') copyFileSync(join(out, 'licenses.txt'), join('dist', 'licenses.txt'));
  rmSync(out, { recursive: true, force: true });
}
// The bundles are ES modules whatever package.json a consumer's checkout has around them.
writeFileSync(join('dist', 'package.json'), '{ "type": "module" }\n');
