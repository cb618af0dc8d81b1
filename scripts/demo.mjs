// Checks the demo's system tools (installing them with apt when it can), builds the TypeScript
// demo driver, and runs it. The action itself runs from the committed dist/index.js.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureSystemTools } from './system-tools.mjs';

const missingTools = ensureSystemTools('The demo');
if (missingTools !== undefined) {
  console.error(missingTools);
  process.exit(1);
}
if (!existsSync('node_modules')) {
  console.error('Run `npm ci` first.');
  process.exit(1);
}
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.scripts.json'], {
  stdio: 'inherit',
});
const demo = spawnSync(process.execPath, ['.tmp/scripts/scripts/demo.js'], { stdio: 'inherit' });
process.exit(demo.status ?? 1);
