import { isAbsolute, resolve } from "node:path";
import { findConfigFile, loadConfigFile } from "../config/load.js";
import { resolveConfig } from "../config/resolve.js";
import { ConfigError } from "../registry/errors.js";
import type { RingmasterConfig, ValidationProblem } from "../registry/types.js";
import { validateConfig } from "../registry/validate.js";
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
export async function loadCliConfig(path: string | undefined, io: CliIO): Promise<LoadedConfig> {
  const cwd = io.cwd ?? process.cwd();
  const file =
    path === undefined ? findConfigFile(cwd) : isAbsolute(path) ? path : resolve(cwd, path);
  if (file === undefined) {
    throw new CliError(EXIT.failure, [
      `no config file: pass --config FILE or create ringmaster.config.ts in ${cwd}`,
    ]);
  }
  try {
    return { config: await loadConfigFile(file), file };
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
export function checkConfig(config: RingmasterConfig, env: CliIO["env"]): ConfigCheck {
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
