// Jest globalSetup of the projects that run real registries: installs docker-registry and skopeo when it can,
// otherwise stops the run with one line saying what to install (not one failure per test).
import { ensureSystemTools } from '../../scripts/system-tools.mjs';

export default function systemToolsSetup() {
  const missing = ensureSystemTools('npm test');
  if (missing === undefined) return;
  process.stderr.write(`\n${missing}\n`);
  process.exit(1);
}
