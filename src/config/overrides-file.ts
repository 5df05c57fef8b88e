/**
 * The YAML overrides file (`daemons: { auto_sync: { batchSize: 50 } }`): reading it and checking
 * its shape and daemon names; the keys inside each daemon are checked when the layers merge.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { suggest } from "../registry/suggest.js";

/** The YAML overrides file, read: its absolute path and the values per daemon as written. */
export interface OverridesFile {
  path: string;
  daemons: Record<string, Record<string, unknown>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const kindOf = (value: unknown) =>
  value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;

/**
 * Reads the YAML overrides file (synchronously; it is read once at start-up). Its shape is
 * `daemons: { auto_sync: { enabled: true, interval: 60, batchSize: 50 } }`. A missing file is a
 * warning (nothing to override); unreadable YAML, another shape or an unknown daemon name is a
 * problem line naming the file. Keys inside a daemon are checked by the resolver.
 */
export function readOverridesFile(
  file: string,
  cwd: string,
  daemonNames: readonly string[],
  problems: string[],
  warnings: string[],
): OverridesFile | undefined {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    warnings.push(`overrides file ${path} does not exist; no YAML overrides applied`);
    return undefined;
  }
  let document: unknown;
  try {
    document = parse(readFileSync(path, "utf8"));
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    problems.push(`${path}: not valid YAML: ${message.split("\n")[0]}`);
    return undefined;
  }
  const daemons: Record<string, Record<string, unknown>> = {};
  if (document === null || document === undefined) return { path, daemons };
  if (!isRecord(document)) {
    problems.push(`${path}: expected a mapping with a "daemons" key, found ${kindOf(document)}`);
    return undefined;
  }
  for (const key of Object.keys(document)) {
    if (key !== "daemons") {
      problems.push(`${path}: unknown top-level key "${key}" (expected "daemons")`);
    }
  }
  const entries = document.daemons;
  if (entries === null || entries === undefined) return { path, daemons };
  if (!isRecord(entries)) {
    problems.push(`${path}: daemons: expected a mapping of daemon names, found ${kindOf(entries)}`);
    return undefined;
  }
  const known = new Set(daemonNames);
  for (const [name, values] of Object.entries(entries)) {
    if (!known.has(name)) {
      const close = suggest(name, daemonNames);
      problems.push(
        `${path}: daemons.${name} is not a declared daemon${close ? ` (did you mean "${close}"?)` : ""}`,
      );
      continue;
    }
    if (values === null || values === undefined) continue;
    if (!isRecord(values)) {
      problems.push(
        `${path}: daemons.${name}: expected a mapping of config keys, found ${kindOf(values)}`,
      );
      continue;
    }
    daemons[name] = values;
  }
  return { path, daemons };
}
