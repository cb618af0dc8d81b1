// Checks the demo's system tools (installing them with apt when it can), builds the TypeScript
// demo driver, and runs it. The action itself runs from the committed dist/index.js.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missing = ['docker-registry', 'skopeo'].filter((tool) => !has(tool));
if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (has('apt-get') && (root || sudo)) {
    console.log(`Installing ${missing.join(' and ')} with apt-get…`);
    const prefix = root ? [] : ['sudo'];
    const run = (args) =>
      execFileSync(prefix[0] ?? args[0], prefix.length ? args : args.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', 'docker-registry', 'skopeo']);
  } else {
    console.error(
      `The demo needs ${missing.join(' and ')}. Install them first, e.g.: sudo apt-get install docker-registry skopeo`,
    );
    process.exit(1);
  }
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
