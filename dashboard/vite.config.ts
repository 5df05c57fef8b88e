import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The dashboard (DESIGN.md §9), built into dist/dashboard so the package ships it and
 * src/http/dashboard.ts serves it at `/`. Preact through Oxc's automatic JSX runtime: no plugin.
 * Relative asset URLs (`base: "./"`), so it also works behind a proxy that mounts it under a path.
 */
export default defineConfig({
  root,
  base: "./",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
