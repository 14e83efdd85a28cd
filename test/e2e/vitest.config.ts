import { defineConfig } from "vitest/config";

// Browser suite: real Debian Chromium with the built extension (dist/) loaded. One file at a
// time: each test file launches its own browser profile, and the machine has two cores.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    setupFiles: ["test/support/node-polyfills.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
