// The example chat dApp's build: React's automatic JSX runtime through vite's own TSX transform
// (no plugin needed); relative asset paths, so the build can be served from any path.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
