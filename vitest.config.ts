import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Many tests start the CLI as a child process or train small networks: seconds each, and more on a loaded
    // 2-core machine. Long tests set their own, larger limits.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
