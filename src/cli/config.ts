import { isAbsolute, resolve } from "node:path";
import { findConfigFile, loadConfigFile } from "../config/load.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { ConfigError } from "../registry/errors.js";
import type { HttpOptions, RingmasterConfig, ValidationProblem } from "../registry/types.js";
import { CliError, type CliIO, EXIT } from "./io.js";

export interface LoadedConfig {
  config: RingmasterConfig;
  /** Absolute path of the config module. */
  file: string;
}

/**
 * The config of a command: `--config FILE` (relative to `io.cwd`), else the
 * `ringmaster.config.{ts,mts,js,mjs}` found in `io.cwd`. Throws a {@link CliError} (exit 1) with
 * one line per problem when there is no file or it cannot be loaded.
 */
export async function loadCliConfig(
  path: string | undefined,
  io: CliIO,
  load: (file: string) => Promise<RingmasterConfig> = loadConfigFile,
): Promise<LoadedConfig> {
  const cwd = io.cwd ?? process.cwd();
  const file =
    path === undefined ? findConfigFile(cwd) : isAbsolute(path) ? path : resolve(cwd, path);
  if (file === undefined) {
    throw new CliError(EXIT.failure, [
      `no config file: pass --config FILE or create ringmaster.config.ts in ${cwd}`,
    ]);
  }
  try {
    return { config: await load(file), file };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.failure, error.problems);
    throw error;
  }
}

export interface ConfigCheck {
  errors: ValidationProblem[];
  warnings: ValidationProblem[];
}

/**
 * Every problem of a config, as `validate` prints it and `start` refuses it: the registry checks of
 * `validateConfig` and the value checks of `resolveConfig` (bad env values, YAML overrides, store
 * URL). Never throws.
 */
export async function checkConfig(
  config: RingmasterConfig,
  env: CliIO["env"],
): Promise<ConfigCheck> {
  const [{ validateConfig }, { resolveConfig }] = await Promise.all([
    import("../registry/validate.js"),
    import("../config/resolve.js"),
  ]);
  const result = validateConfig(config);
  const errors = [...result.errors];
  const warnings = [...result.warnings];
  try {
    const resolved = resolveConfig(config, { env });
    for (const message of resolved.warnings)
      warnings.push({ severity: "warning", code: "config", message });
  } catch (error) {
    const problems =
      error instanceof ConfigError ? error.problems : [String((error as Error)?.message ?? error)];
    for (const message of problems) errors.push({ severity: "error", code: "config", message });
  }
  return { errors, warnings };
}

/**
 * The config as `ringmaster start` runs it: HTTP on at `127.0.0.1:8790` unless the config says
 * `http: false` (a library user who omits `http` gets none; a CLI user gets the dashboard).
 */
export function withCliDefaults(config: RingmasterConfig): RingmasterConfig {
  if (config.http !== false || config.httpOmitted !== true) return config;
  return Object.freeze({ ...config, http: { ...MANAGER_DEFAULTS.http } });
}

/** What the CLI needs of the resolved settings to find a manager. */
export interface CliSettings {
  http: HttpOptions | false;
  store: string | undefined;
  apiToken: string | undefined;
  /** `${PREFIX}_NODE_ID`, if set. */
  nodeId?: string | undefined;
}

/**
 * The manager settings the config resolves to under `env` (`${PREFIX}_DAEMON_HEALTH_PORT`, …), with
 * the CLI's HTTP default. A bad daemon value in the environment must not hide the manager
 * (`validate` reports it), so a config that does not resolve falls back to its own values.
 */
export async function cliSettings(
  config: RingmasterConfig,
  env: CliIO["env"],
): Promise<CliSettings> {
  const cli = withCliDefaults(config);
  try {
    const { resolveConfig } = await import("../config/resolve.js");
    const { settings } = resolveConfig(cli, { env });
    return {
      http: settings.http,
      store: settings.store,
      apiToken: settings.apiToken,
      nodeId: settings.nodeId,
    };
  } catch {
    return { http: cli.http, store: undefined, apiToken: undefined };
  }
}
