/** The testbed world for e2e tests, running the bundle that build-bundle.mjs built from the current src/. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testbed/repo-root.js';
import { startWorld as startTestbedWorld, type World, type WorldOptions } from '../../testbed/world.js';

export { parseOutputFile, type ActionRun, type World } from '../../testbed/world.js';

/** Where build-bundle.mjs (the e2e project's globalSetup in jest.config.js) writes the bundle. */
export const TEST_BUNDLE_DIR = join(repoRoot(), '.tmp', 'test-dist');

export async function startWorld(options: Omit<WorldOptions, 'bundleDir'> = {}): Promise<World> {
  // Never fall back to the committed dist/: it may predate the src/ under test.
  if (!existsSync(join(TEST_BUNDLE_DIR, 'index.js'))) {
    throw new Error(`no test bundle in ${TEST_BUNDLE_DIR}: run e2e tests through jest`);
  }
  return startTestbedWorld({ ...options, bundleDir: TEST_BUNDLE_DIR });
}
