/**
 * The environment the global setup (test/support/global-setup.ts) hands to every test worker
 * through vitest's `provide` (test/support/setup-env.ts applies it there).
 */
export interface TestEnv {
  /** Variables to set. */
  set: Record<string, string>;
  /** Variables to remove. */
  unset: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

/** Puts a test environment into this process's environment (and so into the processes it spawns). */
export function applyTestEnv(env: TestEnv): void {
  for (const name of env.unset) delete process.env[name];
  Object.assign(process.env, env.set);
}
