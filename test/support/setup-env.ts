/**
 * Setup file of every vitest project (vitest.config.ts), run in each test worker before each test
 * file: puts the environment of the global setup (test/support/global-setup.ts) into process.env,
 * and kills whatever `spawnDaemon` started that the file's own cleanup left running (vitest ends a
 * fork with SIGTERM, so a process 'exit' hook never runs there).
 */
import { afterAll, inject } from 'vitest';
import { killSpawned } from './daemon.ts';
import { applyTestEnv } from './test-env.ts';

applyTestEnv(inject('testEnv'));

// Registered before the file's own hooks, so it runs after them (after hooks run in reverse order).
afterAll(async () => {
  await killSpawned();
});
