import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/{unit,contract,integration,simulation}/**/*.test.ts", "src/**/*.test.ts", "devnet/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // real-time-guard acts on core test files only (it checks the path): see its header.
    setupFiles: ["test/support/node-polyfills.ts", "test/support/real-time-guard.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
