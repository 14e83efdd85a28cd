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
    target: "chrome116",
    sourcemap: true,
  },
  server: { port: 5173, strictPort: true, hmr: { port: 5174 } },
});
