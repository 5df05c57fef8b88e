/**
 * Environment variable names. A daemon key `checkIntervalSeconds` of daemon `my_new_daemon` under
 * prefix `RINGRIFT` is `RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS`; manager settings are
 * `${PREFIX}_DAEMON_HEALTH_PORT` and the others in `SETTINGS_ENV`.
 */

/** `checkIntervalSeconds`, `check_interval_seconds`, `apiURL` → `CHECK_INTERVAL_SECONDS`, `API_URL`. */
export function upperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}

/** `RINGRIFT` + `my_new_daemon` + `checkIntervalSeconds` → `RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS`. */
export function envVarName(prefix: string, daemon: string, key: string): string {
  return [upperSnake(prefix), upperSnake(daemon), upperSnake(key)].filter(Boolean).join("_");
}

/** Manager settings read from the environment, by suffix after the prefix. */
export const SETTINGS_ENV = {
  /** HTTP port, integer 0..65535 (0 = any free port). */
  httpPort: "DAEMON_HEALTH_PORT",
  /** HTTP host to bind. */
  httpHost: "DAEMON_HOST",
  /** Overrides every daemon's restart.maxRestarts. */
  restartMax: "DAEMON_RESTART_MAX",
  /** Seconds; overrides healthInterval of daemons that kept the default. */
  healthInterval: "DAEMON_HEALTH_INTERVAL",
  /** Seconds; the manager's shutdown timeout. */
  shutdownTimeout: "DAEMON_SHUTDOWN_TIMEOUT",
  /** Store URL. */
  store: "STORE",
  /** Bearer token for mutating HTTP calls. */
  apiToken: "API_TOKEN",
  /** Seconds; the interval of every cycle that sets none in code (the seeds' `RINGRIFT_DAEMON_INTERVAL`). */
  defaultInterval: "DAEMON_INTERVAL",
  /** Path of the YAML overrides file, over the config's `overridesFile`. */
  overridesFile: "OVERRIDES",
  /** This node's id in the cluster (DESIGN.md §8); default `<host>/<profile>`. */
  nodeId: "NODE_ID",
} as const;

/**
 * Variables under the prefix that other parts read (the CLI's manager URL, the node id), so a
 * "did you mean" never calls them typos. A part that reads a new `${PREFIX}_…` variable adds it here.
 */
export const OTHER_ENV = ["URL", "NODE_ID"] as const;

/** `${PREFIX}_${CATEGORY}_INTERVAL`: the interval of every periodic daemon of that category. */
export function categoryIntervalVarName(prefix: string, category: string): string {
  return envVarName(prefix, category, "interval");
}

export function settingsVarName(prefix: string, setting: keyof typeof SETTINGS_ENV): string {
  return [upperSnake(prefix), SETTINGS_ENV[setting]].filter(Boolean).join("_");
}

/**
 * The environment the manager's programs (command daemons and jobs) inherit: the manager's own,
 * so PATH, HOME and the like reach them. Their config variables are added on top of it.
 */
export function inheritedEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
