/**
 * Cross-cutting tests against real services. Each project is one kind of test (see README.md here).
 * They run one file at a time: every file starts its own real MLflow / OpenID provider / PAPI double.
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
};
export default {
  maxWorkers: 1,
  // A global option (ignored inside projects): real services take seconds to start.
  testTimeout: 180_000,
  projects: [
    // support/launchers.test.ts checks the launchers every integration test builds on: it runs with them.
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/integration/**/*.test.ts', '<rootDir>/support/**/*.test.ts'],
    },
    { ...shared, displayName: 'deploy', testMatch: ['<rootDir>/deploy/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.test.ts'] },
  ],
};
