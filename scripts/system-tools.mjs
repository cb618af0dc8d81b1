// The system tools the demo and the tests run against (Debian's docker-registry and skopeo): installs them
// with apt-get when this user can, else says once what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const TOOLS = ['docker-registry', 'skopeo'];

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** Returns when the tools are there (installing them if possible); otherwise the one-line reason. */
export function ensureSystemTools(purpose) {
  const missing = TOOLS.filter((tool) => !has(tool));
  if (missing.length === 0) return undefined;
  const root = process.getuid?.() === 0;
  const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const advice = `${purpose} needs ${missing.join(' and ')}: install them first, e.g. sudo apt-get install docker-registry skopeo`;
  if (!has('apt-get') || !(root || sudo)) return advice;
  console.log(`Installing ${missing.join(' and ')} with apt-get…`);
  const prefix = root ? [] : ['sudo'];
  const run = (args) =>
    execFileSync(prefix[0] ?? args[0], prefix.length ? args : args.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', ...TOOLS]);
  } catch (error) {
    return `${advice} (apt-get failed: ${error.message.split('\n')[0]})`;
  }
  const still = TOOLS.filter((tool) => !has(tool));
  return still.length === 0 ? undefined : advice;
}
