import { crx } from "@crxjs/vite-plugin";
import { defineConfig } from "vite";
import manifest from "./manifest.json" with { type: "json" };
import { firefoxManifest } from "./scripts/firefox-manifest.js";

// The extension bundle only. Node-side code (devnet, tests, benchmarks) is run by tsx/vitest
// and never passes through this config, so Node polyfills cannot leak into the extension.
// `vite build` builds for Chromium into dist/; `vite build --mode firefox` (npm run build:firefox)
// builds the same sources for Firefox into dist-firefox/ with a generated manifest.
export default defineConfig(({ mode }) => {
  const firefox = mode === "firefox";
  return {
    plugins: [
      firefox
        ? // crxjs types the manifest for Chromium; the generated Firefox keys are checked by `web-ext lint`.
          crx({ manifest: firefoxManifest(manifest) as unknown as typeof manifest, browser: "firefox" })
        : crx({ manifest }),
    ],
    build: {
      outDir: firefox ? "dist-firefox" : "dist",
      emptyOutDir: true,
      target: firefox ? "firefox140" : "chrome148",
      sourcemap: true,
      // Extension pages the manifest does not name (opened by the worker with chrome.windows).
      rollupOptions: { input: { prompt: "src/prompt/index.html" } },
    },
    server: { port: 5173, strictPort: true, hmr: { port: 5174 } },
  };
});
