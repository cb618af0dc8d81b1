/** Tests are TypeScript ESM, run by ts-jest; `npm test` runs every project. */
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const common = {
  // Quiet: Node 20 is a supported test runtime, the action itself runs on node24.
  setupFiles: ['<rootDir>/__tests__/support/quiet.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: tsJest,
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/support/system-tools-setup.mjs',
    },
    // e2e tests run the action as a runner does, from a bundle of the current src/ (never a stale dist/).
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/support/build-bundle.mjs',
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/__tests__/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/support/system-tools-setup.mjs',
    },
  ],
  testTimeout: 120000,
};
