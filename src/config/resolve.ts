import type { ZodType } from "zod";
import { DAEMON_DEFAULTS, MANAGER_DEFAULTS } from "../registry/defaults.js";
import { parseDuration, SECOND } from "../registry/duration.js";
import { ConfigError } from "../registry/errors.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonSpec, HttpOptions, RingmasterConfig } from "../registry/types.js";
import { envVarName, settingsVarName } from "./env.js";
import { readOverridesFile } from "./overrides-file.js";
import {
  coerceText,
  describeExpectation,
  describeValue,
  parseBoolean,
  parseNumber,
  schemaShape,
} from "./schema.js";

export { envVarName } from "./env.js";

/** Where a value came from. `detail` is the env var name, or the overrides file's path. */
export interface ConfigSource {
  kind: "default" | "file" | "overrides" | "env" | "store";
  detail?: string;
}

/** One daemon after every layer: its spec (with spec-level overrides applied) and frozen config. */
export interface ResolvedDaemon {
  name: string;
  spec: DaemonSpec;
  config: Readonly<Record<string, unknown>>;
  /** By config key (and `enabled`, `autoStart`, `interval`): the layer that set the value. */
  sources: Record<string, ConfigSource>;
}

/** Manager-wide settings after the environment is applied. Durations are milliseconds. */
export interface ManagerSettings {
  http: HttpOptions | false;
  store: string;
  apiToken: string | undefined;
  shutdownTimeout: number;
}

export interface ResolvedConfig {
  daemons: Map<string, ResolvedDaemon>;
  settings: ManagerSettings;
  /** Things worth saying that do not stop start-up (a missing overrides file, a stray env var). */
  warnings: string[];
}

export interface ResolveOptions {
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Overrides saved through the API, by daemon: JSON values, durations in ms or as strings. */
  storedOverrides?: Record<string, Record<string, unknown>>;
  /** Base for a relative `overridesFile`. Default `process.cwd()`. */
  cwd?: string;
}

/** Keys every daemon accepts in the per-daemon layers besides its schema's keys. */
const SPEC_KEYS = ["enabled", "autoStart", "interval"] as const;
type SpecKey = (typeof SPEC_KEYS)[number];
const isSpecKey = (key: string): key is SpecKey => (SPEC_KEYS as readonly string[]).includes(key);

interface Layer {
  source: ConfigSource;
  /** Bare numbers for durations are seconds (YAML, env), not ms (code, store). */
  seconds: boolean;
  /** Values are environment text to coerce by the schema. */
  text: boolean;
}

const STORE_URL = /^(sqlite:.+|postgres(ql)?:\/\/.+|memory:)$/;

/**
 * Resolves the configuration once, at start-up. For each daemon, later layers win:
 *
 * 1. the zod schema's defaults,
 * 2. the config file's `daemonConfig[name]`,
 * 3. the YAML overrides file (`config.overridesFile`, relative to `cwd`),
 * 4. the environment, `${PREFIX}_${DAEMON}_${KEY}` (e.g. `RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS`),
 * 5. `storedOverrides` (saved through the API).
 *
 * Besides schema keys, every layer may set `enabled`, `autoStart` and `interval`; they are applied
 * to the returned spec. In YAML and env a bare number for `interval` means seconds, as the seeds
 * wrote it; in `daemonConfig` and stored overrides a number is ms; strings like `"500ms"` or `"5m"`
 * work everywhere. Environment text is coerced by what the schema expects at that key (numbers,
 * booleans `1/0/true/false/yes/no`, JSON for arrays and objects). Manager settings come from
 * `${PREFIX}_DAEMON_HEALTH_PORT`, `_DAEMON_HOST`, `_DAEMON_RESTART_MAX`, `_DAEMON_HEALTH_INTERVAL`
 * (seconds), `_DAEMON_SHUTDOWN_TIMEOUT` (seconds), `_STORE` and `_API_TOKEN`.
 *
 * Throws one `ConfigError` listing every problem, one line each, naming the daemon, the key, what
 * was expected, what was found and where it came from. The result's configs and specs are frozen.
 */
export function resolveConfig(
  config: RingmasterConfig,
  options: ResolveOptions = {},
): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const stored = options.storedOverrides ?? {};
  const problems: string[] = [];
  const warnings: string[] = [];
  const names = config.daemons.map((spec) => spec.name);
  const known = new Set(names);

  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problems.push(`${name}: daemon name declared twice`);
    seen.add(name);
  }
  for (const name of Object.keys(config.daemonConfig)) {
    if (!known.has(name)) {
      problems.push(
        `daemonConfig.${name}: not a declared daemon${didYouMean(name, names)} (from the config file)`,
      );
    }
  }
  for (const name of Object.keys(stored)) {
    if (!known.has(name)) {
      warnings.push(`overrides saved in the store for ${name} ignored: no such daemon`);
    }
  }
  const yaml = config.overridesFile
    ? readOverridesFile(config.overridesFile, cwd, names, problems, warnings)
    : undefined;

  const settings = resolveSettings(config, env, problems);
  const daemons = new Map<string, ResolvedDaemon>();
  const knownVars = new Set<string>(settings.vars);
  for (const spec of config.daemons) {
    if (daemons.has(spec.name)) continue;
    const layers: [Layer, Record<string, unknown>][] = [
      [
        { source: { kind: "file" }, seconds: false, text: false },
        config.daemonConfig[spec.name] ?? {},
      ],
    ];
    if (yaml) {
      layers.push([
        { source: { kind: "overrides", detail: yaml.path }, seconds: true, text: false },
        yaml.daemons[spec.name] ?? {},
      ]);
    }
    const shape = schemaShape(spec.config);
    const keys = [...Object.keys(shape ?? {}), ...SPEC_KEYS.filter((k) => !shape?.[k])];
    for (const key of keys) {
      const name = envVarName(config.envPrefix, spec.name, key);
      knownVars.add(name);
      const text = env[name];
      if (text !== undefined) {
        layers.push([
          { source: { kind: "env", detail: name }, seconds: true, text: true },
          { [key]: text },
        ]);
      }
    }
    layers.push([
      { source: { kind: "store" }, seconds: false, text: false },
      stored[spec.name] ?? {},
    ]);
    const resolved = resolveDaemon(spec, layers, settings, problems, warnings);
    if (resolved) daemons.set(spec.name, resolved);
  }
  warnStrayEnv(config.envPrefix, names, env, knownVars, warnings);

  if (problems.length > 0) throw new ConfigError(problems);
  return { daemons, settings: Object.freeze(settings.settings) as ManagerSettings, warnings };
}

function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = suggest(name, candidates);
  return close === undefined ? "" : ` (did you mean "${close}"?)`;
}

/** "(from env RINGRIFT_X)", "(from /etc/ringmaster.yaml)", … */
export function describeSource(source: ConfigSource | undefined): string {
  switch (source?.kind) {
    case undefined:
      return "(not set, and the schema has no default)";
    case "default":
      return "(from the schema default)";
    case "file":
      return "(from the config file's daemonConfig)";
    case "overrides":
      return `(from ${source.detail ?? "the overrides file"})`;
    case "env":
      return `(from env ${source.detail})`;
    case "store":
      return "(from overrides saved in the store)";
  }
}

function resolveDaemon(
  spec: DaemonSpec,
  layers: [Layer, Record<string, unknown>][],
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
    for (const [key, value] of Object.entries(raw)) {
      const from = describeSource(layer.source);
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
            `${spec.name}.${key}: expected ${coerced.expected}, found ${describeValue(value)} ${from}`,
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
        problems.push(
          `${where}: ${describeExpectation(issue as { code: string; message: string })}, found ${describeValue(found)} ${describeSource(top === undefined ? undefined : sources[top])}`,
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

interface SettingsResult {
  settings: ManagerSettings;
  restartMax: number | undefined;
  /** ms */
  healthInterval: number | undefined;
  /** The settings variables' names, so they are not reported as stray. */
  vars: string[];
}

function resolveSettings(
  config: RingmasterConfig,
  env: Record<string, string | undefined>,
  problems: string[],
): SettingsResult {
  const prefix = config.envPrefix;
  const vars: string[] = [];
  const read = (setting: Parameters<typeof settingsVarName>[1]) => {
    const name = settingsVarName(prefix, setting);
    vars.push(name);
    const text = env[name];
    return text === undefined ? undefined : { name, text };
  };
  const bad = (what: string, expected: string, v: { name: string; text: string }) =>
    problems.push(
      `settings.${what}: expected ${expected}, found ${describeValue(v.text)} (from env ${v.name})`,
    );
  const seconds = (v: { name: string; text: string }, min: number): number | undefined => {
    const bare = parseNumber(v.text);
    let ms: number | undefined;
    if (bare !== undefined) ms = bare * SECOND;
    else {
      try {
        ms = parseDuration(v.text, v.name);
      } catch {
        ms = undefined;
      }
    }
    return ms !== undefined && ms >= min ? ms : undefined;
  };

  let http: HttpOptions | false = config.http === false ? false : { ...config.http };
  const port = read("httpPort");
  if (port) {
    const value = /^\s*\d+\s*$/.test(port.text) ? Number(port.text) : Number.NaN;
    if (value >= 0 && value <= 65535)
      http = { host: http ? http.host : MANAGER_DEFAULTS.http.host, port: value };
    else bad("http.port", "a port number from 0 to 65535", port);
  }
  const host = read("httpHost");
  if (host) {
    if (host.text.trim() !== "")
      http = { host: host.text.trim(), port: http ? http.port : MANAGER_DEFAULTS.http.port };
    else bad("http.host", "a host name or address", host);
  }

  let restartMax: number | undefined;
  const restart = read("restartMax");
  if (restart) {
    if (/^\s*\d+\s*$/.test(restart.text)) restartMax = Number(restart.text);
    else bad("restartMax", "a whole number of 0 or more", restart);
  }

  let healthInterval: number | undefined;
  const health = read("healthInterval");
  if (health) {
    healthInterval = seconds(health, 1);
    if (healthInterval === undefined) {
      bad("healthInterval", 'a duration of more than 0, such as 30 (seconds) or "30s"', health);
    }
  }

  let shutdownTimeout = config.shutdownTimeout;
  const shutdown = read("shutdownTimeout");
  if (shutdown) {
    const ms = seconds(shutdown, 0);
    if (ms === undefined)
      bad("shutdownTimeout", 'a duration such as 30 (seconds) or "30s"', shutdown);
    else shutdownTimeout = ms;
  }

  let store = config.store;
  const storeVar = read("store");
  const storeExpected = 'a store URL: "sqlite:PATH", "postgres://…" or "memory:"';
  if (storeVar) {
    if (STORE_URL.test(storeVar.text.trim())) store = storeVar.text.trim();
    else bad("store", storeExpected, storeVar);
  } else if (!STORE_URL.test(store)) {
    problems.push(
      `settings.store: expected ${storeExpected}, found ${describeValue(store)} (from the config file)`,
    );
  }

  const token = read("apiToken");
  const apiToken = token && token.text !== "" ? token.text : undefined;

  return {
    settings: { http: http ? Object.freeze(http) : false, store, apiToken, shutdownTimeout },
    restartMax,
    healthInterval,
    vars,
  };
}

/** Warns about `${PREFIX}_${DAEMON}_…` variables that match no key of that daemon (typos). */
function warnStrayEnv(
  prefix: string,
  names: readonly string[],
  env: Record<string, string | undefined>,
  knownVars: Set<string>,
  warnings: string[],
): void {
  const heads = names
    .map((name) => ({ name, head: `${envVarName(prefix, name, "")}_` }))
    .sort((a, b) => b.head.length - a.head.length);
  for (const variable of Object.keys(env)) {
    if (knownVars.has(variable) || env[variable] === undefined) continue;
    const owner = heads.find((h) => variable.startsWith(h.head));
    if (!owner) continue;
    const candidates = [...knownVars].filter((v) => v.startsWith(owner.head));
    warnings.push(
      `env ${variable} is set but is not a config key of ${owner.name}${didYouMean(variable, candidates)}; ignored`,
    );
  }
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
