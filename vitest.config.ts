import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/{unit,contract,integration}/**/*.test.ts", "src/**/*.test.ts", "devnet/**/*.test.ts"],
    setupFiles: ["test/support/node-polyfills.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
