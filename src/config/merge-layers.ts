/**
 * Merging one daemon's layers, in order, into its final spec and frozen config: unknown keys,
 * spec-level options (`enabled`, `autoStart`, `interval`), env text coerced by the schema, the
 * schema's own parse, and the manager settings that apply to every daemon.
 */

import type { ZodType } from "zod";
import { DAEMON_DEFAULTS } from "../registry/defaults.js";
import { parseDuration, SECOND } from "../registry/duration.js";
import { isSecretKey, REDACTED } from "../registry/secret.js";
import type { DaemonSpec } from "../registry/types.js";
import {
  isSpecKey,
  type Layer,
  type LayerValues,
  SPEC_KEYS,
  type SpecKey,
} from "./daemon-layers.js";
import { upperSnake } from "./env.js";
import { describeSource, didYouMean } from "./messages.js";
import {
  coerceText,
  describeExpectation,
  describeValue,
  parseBoolean,
  parseNumber,
  schemaShape,
} from "./schema.js";
import type { SettingsResult } from "./settings.js";
import type { ConfigSource, ResolvedDaemon } from "./types.js";

/**
 * Applies `layers` (earliest first, later wins) to `spec`. Every problem is pushed to `problems`
 * and then the daemon is left out (undefined); notes that do not stop start-up go to `warnings`.
 */
export function resolveDaemon(
  spec: DaemonSpec,
  layers: LayerValues[],
  settings: SettingsResult,
  problems: string[],
  warnings: string[],
): ResolvedDaemon | undefined {
  const shape = schemaShape(spec.config);
  const anyKey = spec.config !== undefined && shape === undefined; // e.g. a record schema
  const allowed = [...Object.keys(shape ?? {}), ...SPEC_KEYS];
  const values: Record<string, unknown> = {};
  const overrides: { enabled?: boolean; autoStart?: boolean; interval?: number } = {};
  const sources: Record<string, ConfigSource> = {};
  const before = problems.length;

  for (const [layer, raw] of layers) {
    for (const [written, value] of Object.entries(raw)) {
      const from = describeSource(layer.source);
      // `threshold_games` in YAML is the schema's `thresholdGames` (and the other way round).
      const key = anyKey ? written : sameKey(written, allowed);
      if (!anyKey && !allowed.includes(key)) {
        const hint = didYouMean(key, allowed);
        if (layer.source.kind === "store") {
          warnings.push(
            `${spec.name}.${key}: saved in the store but not a config key of ${spec.name}; ignored`,
          );
        } else if (layer.source.kind === "overrides") {
          problems.push(
            `${layer.source.detail}: daemons.${spec.name}.${key} is not a config key of ${spec.name}${hint}`,
          );
        } else {
          problems.push(`${spec.name}.${key}: not a config key of ${spec.name}${hint} ${from}`);
        }
        continue;
      }
      if (isSpecKey(key)) {
        const parsed = parseSpecOption(spec, key, value, layer);
        if (typeof parsed === "string") {
          problems.push(`${spec.name}.${key}: ${parsed} ${from}`);
          continue;
        }
        (overrides as Record<string, unknown>)[key] = parsed.value;
        sources[key] = layer.source;
        if (!shape?.[key]) continue; // the schema does not declare it too
      }
      let configValue = value;
      const keySchema: ZodType | undefined = shape?.[key];
      if (layer.text && typeof value === "string" && keySchema) {
        const coerced = coerceText(value, keySchema);
        if (!coerced.ok) {
          problems.push(
            `${spec.name}.${key}: expected ${coerced.expected}, found ${isSecretKey(key, keySchema) ? REDACTED : describeValue(value)} ${from}`,
          );
          continue;
        }
        configValue = coerced.value;
      }
      values[key] = configValue;
      sources[key] = layer.source;
    }
  }

  let config: Record<string, unknown> = {};
  if (spec.config) {
    let result: ReturnType<ZodType["safeParse"]>;
    try {
      result = spec.config.safeParse(values);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      problems.push(`${spec.name}: the config schema cannot be parsed synchronously: ${message}`);
      return undefined;
    }
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map(String);
        const top = path[0];
        const found = path.reduce<unknown>(
          (at, part) =>
            at !== null && typeof at === "object"
              ? (at as Record<string, unknown>)[part]
              : undefined,
          values,
        );
        const where = path.length > 0 ? `${spec.name}.${path.join(".")}` : spec.name;
        const secretKey =
          path.some((part) => isSecretKey(part)) || isSecretKey(top ?? "", shape?.[top ?? ""]);
        problems.push(
          `${where}: ${describeExpectation(issue as { code: string; message: string })}, found ${secretKey && found !== undefined ? REDACTED : describeValue(found)} ${describeSource(top === undefined ? undefined : sources[top])}`,
        );
      }
      return undefined;
    }
    config = (result.data ?? {}) as Record<string, unknown>;
  }
  if (problems.length > before) return undefined;

  for (const key of Object.keys(config)) sources[key] ??= { kind: "default" };
  sources.enabled ??= { kind: "default" };
  sources.autoStart ??= { kind: "default" };
  if (spec.interval !== undefined || overrides.interval !== undefined)
    sources.interval ??= { kind: "default" };

  const changes: { -readonly [K in keyof DaemonSpec]?: DaemonSpec[K] } = { ...overrides };
  if (spec.cycle && spec.cron === undefined && (changes.interval ?? spec.interval) === undefined) {
    changes.interval = DAEMON_DEFAULTS.interval; // a cycle with no schedule from any layer
    sources.interval = { kind: "default" };
  }
  if (settings.stopTimeout !== undefined && spec.stopTimeout === DAEMON_DEFAULTS.stopTimeout) {
    changes.stopTimeout = settings.stopTimeout;
  }
  if (settings.restartMax !== undefined && settings.restartMax !== spec.restart.maxRestarts) {
    changes.restart = Object.freeze({ ...spec.restart, maxRestarts: settings.restartMax });
  }
  if (
    settings.healthInterval !== undefined &&
    spec.healthInterval === DAEMON_DEFAULTS.healthInterval
  ) {
    changes.healthInterval = settings.healthInterval;
  }
  const changed = Object.entries(changes).some(
    ([key, value]) => spec[key as keyof DaemonSpec] !== value,
  );
  const finalSpec: DaemonSpec = changed ? Object.freeze({ ...spec, ...changes }) : spec;
  return Object.freeze({
    name: spec.name,
    spec: finalSpec,
    config: deepFreeze(config),
    sources: Object.freeze(sources),
  });
}

/** `key` as one of `allowed` when it is that key in another case style, else `key` itself. */
function sameKey(key: string, allowed: readonly string[]): string {
  if (allowed.includes(key)) return key;
  const wanted = upperSnake(key);
  return allowed.find((candidate) => upperSnake(candidate) === wanted) ?? key;
}

/** A spec-level option's value, or a string saying what was expected. */
function parseSpecOption(
  spec: DaemonSpec,
  key: SpecKey,
  value: unknown,
  layer: Layer,
): { value: boolean | number } | string {
  if (key === "enabled" || key === "autoStart") {
    const parsed = typeof value === "string" && layer.text ? parseBoolean(value) : value;
    return typeof parsed === "boolean"
      ? { value: parsed }
      : `expected ${layer.text ? "a boolean (true/false, 1/0, yes/no)" : "true or false"}, found ${describeValue(value)}`;
  }
  const expected = layer.seconds
    ? `expected a duration such as 60 (seconds), "500ms" or "5m"`
    : `expected a duration such as 60000 (ms), "60s" or "5m"`;
  let ms: number | undefined;
  if (typeof value === "number" && Number.isFinite(value)) {
    ms = layer.seconds ? value * SECOND : value;
  } else if (typeof value === "string") {
    const bare = parseNumber(value);
    if (bare !== undefined) ms = layer.seconds ? bare * SECOND : bare;
    else {
      try {
        ms = parseDuration(value, key);
      } catch {
        ms = undefined;
      }
    }
  }
  if (ms === undefined || !(ms > 0)) return `${expected}, found ${describeValue(value)}`;
  if (spec.cron !== undefined) {
    return `${spec.name} runs on cron "${spec.cron}" and cannot also have an interval, found ${describeValue(value)}`;
  }
  if (!spec.cycle) {
    return `${spec.name} has no cycle hook, so an interval would do nothing, found ${describeValue(value)}`;
  }
  return { value: ms };
}

/** Freezes plain objects and arrays all the way down; other objects (Dates, Maps) are left alone. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const inner of Object.values(value as object)) deepFreeze(inner);
    }
  }
  return value;
}
