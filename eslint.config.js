import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-firefox/", "node_modules/", "bench/out/", "test-results/", ".devnet-data/", ".playground/", "devnet/_scratch*", "packages/*/dist/", "examples/*/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    // Plain Node scripts (no TypeScript to tell eslint about Node's globals).
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
  {
    // src/core is pure: it reaches the world only through its ports (docs/architecture.md).
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["idb", "@waku/*", "webextension-polyfill", "comlink", "node:*"] },
      ],
      "no-restricted-globals": ["error", "chrome", "indexedDB", "localStorage"],
    },
  },
  {
    // Core tests run on test/support/virtual-time.ts; test/support/real-time-guard.ts fails them at
    // run time too (this rule catches it before they run).
    files: [
      "test/unit/{sds,channel,delivery,ratelimit,segmentation}-*.test.ts",
      "test/unit/request-status.test.ts",
      "test/contract/storage-*-{memory,idb}.test.ts",
      "test/simulation/**/*.ts",
    ],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: "core tests run on the virtual clock: use test/support/virtual-time" },
        { name: "setInterval", message: "core tests run on the virtual clock: use test/support/virtual-time" },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "core tests run on the virtual clock: use test/support/virtual-time" },
        { object: "globalThis", property: "setTimeout", message: "core tests run on the virtual clock: use test/support/virtual-time" },
      ],
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "../../src/core/ports/clock.js", importNames: ["systemClock"], message: "core tests run on the virtual clock: use test/support/virtual-time" },
          { name: "../../src/core/ports/scheduler.js", importNames: ["systemScheduler"], message: "core tests run on the virtual clock: use test/support/virtual-time" }] },
      ],
    },
  },
);
