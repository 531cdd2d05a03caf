/**
 * The whole suite: `npm test` (typecheck, then every project with coverage), `npm run test:unit`
 * (the unit project alone, no servers), `npx vitest run test/e2e/x.test.ts`, `npx vitest run -t "name"`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Once per run: fauxqs (SQS + S3) and DynamoDB Local; their endpoints and a safe AWS
    // environment reach each test worker through `provide` and test/support/setup-env.ts.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    // Tests spawn processes, start worker_threads and load native modules (sharp, canvas,
    // node:sqlite): a child process per test file, a fresh one for every file.
    pool: 'forks',
    isolate: true,
    // Sized for 2 cores (node:test ran with --test-concurrency=2); files run in parallel, the
    // tests inside a file one after another.
    maxWorkers: 2,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      // Most of src/ runs in the daemons the e2e tests spawn and in the OCR worker threads.
      autoAttachSubprocess: true,
      reporter: ['text', 'json-summary'],
      // Vitest counts branches as istanbul does (each side of every ?:, ??, ||, default value…).
      thresholds: { lines: 90, branches: 85 },
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] },
      },
      {
        // The CDK app (its own package: deploy/node_modules, installed by scripts/deploy-deps.sh)
        extends: true,
        test: { name: 'deploy', include: ['deploy/test/**/*.test.ts'] },
      },
    ],
  },
});
