import type { ZodType } from "zod";
import type { ResolvedDaemon } from "../config/resolve.js";
import { describeExpectation, describeValue, schemaShape } from "../config/schema.js";
import { parseDuration } from "../registry/duration.js";
import { suggest } from "../registry/suggest.js";
import { HttpError } from "./errors.js";

/** Keys every daemon accepts besides its schema's (as in the config layers, DESIGN.md §3). */
const SPEC_KEYS = ["enabled", "autoStart", "interval"];

/**
 * Checks a config patch against the daemon's schema, key by key (a partial patch is fine), and
 * returns it with durations in ms. `null` removes a saved override of that key. Throws a 400 {@link HttpError} naming every bad key:
 * unknown keys (with a suggestion), values the zod schema rejects, bad `enabled`/`autoStart`/
 * `interval`.
 */
export function validateConfigPatch(
  daemon: ResolvedDaemon,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const { spec } = daemon;
  const shape = schemaShape(spec.config);
  const anyKey = spec.config !== undefined && shape === undefined;
  const allowed = [...Object.keys(shape ?? {}), ...SPEC_KEYS];
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const keys = Object.keys(patch);
  if (keys.length === 0) throw new HttpError(400, "body: expected at least one config key");

  for (const key of keys) {
    const value = patch[key];
    const keySchema: ZodType | undefined = shape?.[key];
    if (!anyKey && !allowed.includes(key)) {
      const hint = suggest(key, allowed);
      problems.push(
        `${key}: not a config key of ${spec.name}${hint ? ` (did you mean "${hint}"?)` : ""}; keys: ${allowed.join(", ")}`,
      );
      continue;
    }
    if (value === null) {
      out[key] = null; // removes a saved override of this key
      continue;
    }
    if (!keySchema && SPEC_KEYS.includes(key)) {
      const problem = checkSpecKey(daemon, key, value);
      if (typeof problem === "string") problems.push(`${key}: ${problem}`);
      else out[key] = problem.value;
      continue;
    }
    if (keySchema) {
      const result = keySchema.safeParse(value);
      if (result.success) out[key] = value;
      else problems.push(...issuesOf(key, result.error.issues, value));
    } else out[key] = value;
  }

  if (anyKey && spec.config && problems.length === 0) {
    const result = spec.config.safeParse({ ...daemon.config, ...out });
    if (!result.success) problems.push(...issuesOf(undefined, result.error.issues, patch));
  }
  if (problems.length > 0)
    throw new HttpError(400, `invalid config for ${spec.name}: ${problems.join("; ")}`);
  return out;
}

function issuesOf(
  key: string | undefined,
  issues: ReadonlyArray<{ code: string; message: string; path: PropertyKey[] }>,
  value: unknown,
): string[] {
  return issues.map((issue) => {
    const path = [...(key === undefined ? [] : [key]), ...issue.path.map(String)].join(".");
    const found = issue.path.reduce<unknown>(
      (at, part) =>
        at !== null && typeof at === "object"
          ? (at as Record<PropertyKey, unknown>)[part]
          : undefined,
      value,
    );
    return `${path || "body"}: ${describeExpectation(issue)}, found ${describeValue(found)}`;
  });
}

function checkSpecKey(
  daemon: ResolvedDaemon,
  key: string,
  value: unknown,
): { value: unknown } | string {
  if (key === "enabled" || key === "autoStart") {
    return typeof value === "boolean"
      ? { value }
      : `expected true or false, found ${describeValue(value)}`;
  }
  const { spec } = daemon;
  if (spec.cron !== undefined) return `${spec.name} runs on cron "${spec.cron}", not an interval`;
  if (!spec.cycle) return `${spec.name} has no cycle hook, so an interval would do nothing`;
  try {
    if (typeof value !== "number" && typeof value !== "string") throw new TypeError();
    const ms = parseDuration(value, key);
    if (ms > 0) return { value: ms };
  } catch {}
  return `expected a duration such as 60000 (ms), "60s" or "5m", found ${describeValue(value)}`;
}
