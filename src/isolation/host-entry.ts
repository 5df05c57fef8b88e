import { createRequire } from "node:module";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const TS_FILE = /\.[cm]?tsx?$/;
const require = createRequire(import.meta.url);

/** The module as a file URL: guests import it by URL, whatever form it was given in. */
export function moduleUrl(module: string): string {
  if (module.startsWith("file:")) return module;
  if (!isAbsolute(module)) {
    throw new TypeError(
      `isolated spec module must be an absolute path or file URL, got "${module}"`,
    );
  }
  return pathToFileURL(module).href;
}

/** The guest entry beside this file: `.ts` when ringmaster runs from its sources, `.js` when built. */
export function guestEntry(which: "worker" | "process"): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./guest-${which}${ext}`, import.meta.url);
}

/**
 * Whether the guest must load TypeScript (ringmaster from sources, or a `.ts` spec module):
 * then tsx (a runtime dependency) is registered in it first.
 */
export function needsTypeScript(which: "worker" | "process", module: string): boolean {
  return TS_FILE.test(fileURLToPath(guestEntry(which))) || TS_FILE.test(module);
}

/** `--import` for a forked child: tsx's loader, by absolute URL so any cwd works. */
export function tsxImport(): string {
  return pathToFileURL(require.resolve("tsx")).href;
}

/**
 * The script a worker thread starts from. Node 20 does not apply `--import` loaders to a
 * worker's own imports, so a TypeScript guest registers tsx itself before importing the entry.
 */
export function workerBootstrap(module: string): URL {
  const entry = guestEntry("worker").href;
  if (!needsTypeScript("worker", module)) return new URL(entry);
  // The ES module build of tsx's API (require.resolve finds the CommonJS one).
  const api = pathToFileURL(require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
