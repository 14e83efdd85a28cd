import { crx } from "@crxjs/vite-plugin";
import { defineConfig } from "vite";
import manifest from "./manifest.json" with { type: "json" };

// The extension bundle only. Node-side code (devnet, tests, benchmarks) is run by tsx/vitest
// and never passes through this config, so Node polyfills cannot leak into the extension.
export default defineConfig({
  plugins: [crx({ manifest })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "chrome148",
    sourcemap: true,
    // Extension pages the manifest does not name (opened by the worker with chrome.windows).
    rollupOptions: { input: { prompt: "src/prompt/index.html" } },
  },
  server: { port: 5173, strictPort: true, hmr: { port: 5174 } },
});
