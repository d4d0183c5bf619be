import { defineConfig } from 'vitest/config';

// Tests run in forked child processes: several suites change process state (signals, cwd,
// source-map hooks, V8 flags) that must not leak between files.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ['default'],
  },
});
