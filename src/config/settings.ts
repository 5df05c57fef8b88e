/**
 * Manager-wide settings from the environment: `${PREFIX}_DAEMON_HEALTH_PORT`, `_DAEMON_HOST`,
 * `_DAEMON_RESTART_MAX`, `_DAEMON_HEALTH_INTERVAL`, `_DAEMON_SHUTDOWN_TIMEOUT`, `_DAEMON_INTERVAL`,
 * `_OVERRIDES`, `_STORE`, `_API_TOKEN` and `_NODE_ID` over the config file's values, each bad value one problem
 * line naming the variable.
 */
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { parseDuration, SECOND } from "../registry/duration.js";
import type { HttpOptions, RingmasterConfig } from "../registry/types.js";
import { settingsVarName } from "./env.js";
import { describeValue, parseNumber } from "./schema.js";
import type { ManagerSettings } from "./types.js";

const STORE_URL = /^(sqlite:.+|postgres(ql)?:\/\/.+|memory:)$/;

/** The settings, plus what the per-daemon merge applies to every daemon. */
export interface SettingsResult {
  settings: ManagerSettings;
  restartMax: number | undefined;
  /** ms */
  healthInterval: number | undefined;
  /** ms, from `_DAEMON_SHUTDOWN_TIMEOUT`: the stopTimeout of daemons that kept the default. */
  stopTimeout: number | undefined;
  /** ms, from `_DAEMON_INTERVAL`: the interval of cycles that set none in code. */
  defaultInterval: number | undefined;
  /** From `_OVERRIDES`: the YAML overrides file, over the config's `overridesFile`. */
  overridesFile: string | undefined;
  /** The settings variables' names, so they are not reported as stray. */
  vars: string[];
}

/**
 * An env duration in ms: a bare number is seconds (`30`), else a duration string (`"500ms"`,
 * `"5m"`); undefined when it is neither or less than `min` ms.
 */
export function envDuration(text: string, min: number): number | undefined {
  const bare = parseNumber(text);
  let ms: number | undefined;
  if (bare !== undefined) ms = bare * SECOND;
  else {
    try {
      ms = parseDuration(text, "env");
    } catch {
      ms = undefined;
    }
  }
  return ms !== undefined && ms >= min ? ms : undefined;
}

/** Reads the settings variables; a bad one is pushed to `problems` and the config value kept. */
export function resolveSettings(
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
  const seconds = (v: { name: string; text: string }, min: number) => envDuration(v.text, min);

  let http: HttpOptions | false = config.http === false ? false : { ...config.http };
  const port = read("httpPort");
  if (port) {
    const value = /^\s*\d+\s*$/.test(port.text) ? Number(port.text) : Number.NaN;
    if (value >= 0 && value <= 65535)
      http = { ...(http || { host: MANAGER_DEFAULTS.http.host }), port: value };
    else bad("http.port", "a port number from 0 to 65535", port);
  }
  const host = read("httpHost");
  if (host) {
    if (host.text.trim() !== "")
      http = { ...(http || { port: MANAGER_DEFAULTS.http.port }), host: host.text.trim() };
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
  let stopTimeout: number | undefined;
  const shutdown = read("shutdownTimeout");
  if (shutdown) {
    const ms = seconds(shutdown, 0);
    if (ms === undefined)
      bad("shutdownTimeout", 'a duration such as 30 (seconds) or "30s"', shutdown);
    else shutdownTimeout = stopTimeout = ms;
  }

  let defaultInterval: number | undefined;
  const interval = read("defaultInterval");
  if (interval) {
    defaultInterval = seconds(interval, 1);
    if (defaultInterval === undefined)
      bad("defaultInterval", 'a duration of more than 0, such as 60 (seconds) or "5m"', interval);
  }

  const overrides = read("overridesFile");
  const overridesFile =
    overrides && overrides.text.trim() !== "" ? overrides.text.trim() : undefined;

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
  const nodeVar = read("nodeId");
  const nodeId = nodeVar && nodeVar.text.trim() !== "" ? nodeVar.text.trim() : undefined;

  return {
    settings: {
      http: http ? Object.freeze(http) : false,
      store,
      apiToken,
      shutdownTimeout,
      nodeId,
    },
    restartMax,
    healthInterval,
    stopTimeout,
    defaultInterval,
    overridesFile,
    vars,
  };
}
