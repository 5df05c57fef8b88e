import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, extname, join } from "node:path";
import { loadConfigFile } from "../config/load.js";
import type { RingmasterConfig } from "../registry/types.js";

const TYPESCRIPT = new Set([".ts", ".mts", ".cts"]);

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Loads a config only to read its manager settings (prefix, `http`, store), as fast as it can: a
 * TypeScript config is bundled with esbuild (the one tsx brings), its own `.ts` imports inlined and
 * packages left to Node, into a temporary `.mjs` beside it (so relative paths still hold), imported
 * natively and deleted. This skips tsx's loader, which runs every module of the graph, ringmaster's
 * included, through a hooks thread (most of a second). Anything that goes wrong falls back to
 * {@link loadConfigFile}, whose errors name the real file. Not for `start`: daemons loaded by path
 * in a worker or a child process must come from their real modules.
 */
export async function loadConfigForSettings(file: string): Promise<RingmasterConfig> {
  if (!TYPESCRIPT.has(extname(file))) return loadConfigFile(file);
  const out = join(dirname(file), `.${basename(file)}.${process.pid}-${Date.now()}.mjs`);
  try {
    const esbuild = createRequire(createRequire(import.meta.url).resolve("tsx"))(
      "esbuild",
    ) as Esbuild;
    await esbuild.build({
      entryPoints: [file],
      outfile: out,
      bundle: true,
      packages: "external",
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    });
    return await loadConfigFile(out);
  } catch {
    return loadConfigFile(file);
  } finally {
    rmSync(out, { force: true });
  }
}
