/**
 * Finding and loading the config file (`ringmaster.config.{ts,mts,js,mjs}`): importing it (TypeScript
 * through tsx) and taking its default export as a `defineConfig` result or a plain config input.
 */
import { existsSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defineConfig } from "../registry/define.js";
import { ConfigError } from "../registry/errors.js";
import type { RingmasterConfig, RingmasterConfigInput } from "../registry/types.js";

/** The names `findConfigFile` looks for, in order. */
export const CONFIG_FILE_NAMES = [
  "ringmaster.config.ts",
  "ringmaster.config.mts",
  "ringmaster.config.js",
  "ringmaster.config.mjs",
] as const;

const TYPESCRIPT = new Set([".ts", ".mts", ".cts"]);
const JAVASCRIPT = new Set([".js", ".mjs", ".cjs"]);

/** The first `ringmaster.config.{ts,mts,js,mjs}` in `cwd`, as an absolute path, if any. */
export function findConfigFile(cwd: string = process.cwd()): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(resolve(cwd), name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * True when this process runs under tsx's full loader (the `tsx` CLI or `node --import tsx`); then
 * plain `import()` reads TypeScript and shares the module cache with the caller. With only half of
 * tsx registered (`--import tsx/esm`) a `.ts` file in a CommonJS package fails, so tsImport is used.
 */
function runningUnderTsx(): boolean {
  return process.execArgv.some(
    (arg) =>
      /[\\/]tsx[\\/]dist[\\/](loader\.mjs|preflight\.cjs)$/.test(arg) ||
      /^(--import=)?tsx$/.test(arg),
  );
}

const isConfig = (value: unknown): value is RingmasterConfig =>
  typeof value === "object" &&
  value !== null &&
  (value as { kind?: unknown }).kind === "config" &&
  Array.isArray((value as { daemons?: unknown }).daemons);

const isConfigInput = (value: unknown): value is RingmasterConfigInput =>
  typeof value === "object" &&
  value !== null &&
  (value as { kind?: unknown }).kind === undefined &&
  Array.isArray((value as { daemons?: unknown }).daemons);

function describeExport(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value !== "object") return `a ${typeof value}`;
  const keys = Object.keys(value).slice(0, 6);
  return keys.length === 0 ? "an empty object" : `an object with keys ${keys.join(", ")}`;
}

/**
 * Loads a config module for the CLI. `path` is resolved against the current directory; `.ts`,
 * `.mts` and `.cts` files are imported through tsx (unless the process already runs under tsx),
 * `.js`, `.mjs` and `.cjs` natively. The module's default export, or else its export named
 * `config`, must be a `defineConfig` result or a plain `{ daemons: [...] }` object (which is passed
 * through `defineConfig`). Throws a `ConfigError` naming the file for a missing file, a module
 * that fails to load, no usable export, or the wrong shape.
 */
export async function loadConfigFile(path: string): Promise<RingmasterConfig> {
  const file = resolve(process.cwd(), path);
  if (!existsSync(file)) throw new ConfigError([`config file not found: ${file}`]);
  if (!statSync(file).isFile()) throw new ConfigError([`config file is not a file: ${file}`]);
  const extension = extname(file);
  if (!TYPESCRIPT.has(extension) && !JAVASCRIPT.has(extension)) {
    throw new ConfigError([
      `${file}: cannot load a "${extension}" config file; use .ts, .mts, .js or .mjs`,
    ]);
  }
  const url = pathToFileURL(file).href;
  let module: Record<string, unknown>;
  try {
    if (TYPESCRIPT.has(extension) && !runningUnderTsx()) {
      const { tsImport } = await import("tsx/esm/api");
      module = await tsImport(url, import.meta.url);
    } else {
      module = await import(url);
    }
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    const error = new ConfigError([`${file}: the config module failed to load: ${message}`]);
    error.cause = thrown;
    throw error;
  }
  // A CommonJS module (or tsx's interop) can nest the default export one level deeper.
  let exported = module.default ?? module.config;
  if (!isConfig(exported) && !isConfigInput(exported)) {
    const nested = (exported as { default?: unknown } | undefined)?.default;
    if (isConfig(nested) || isConfigInput(nested)) exported = nested;
  }
  if (exported === undefined) {
    throw new ConfigError([
      `${file}: no default export; end the file with \`export default defineConfig({ daemons: [...] })\``,
    ]);
  }
  if (isConfig(exported)) return exported;
  if (isConfigInput(exported)) {
    try {
      return defineConfig(exported);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      throw new ConfigError([`${file}: ${message}`]);
    }
  }
  throw new ConfigError([
    `${file}: the default export should be defineConfig({ daemons: [...] }), found ${describeExport(exported)}`,
  ]);
}
