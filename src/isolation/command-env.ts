import { envVarName } from "../config/env.js";

/**
 * The environment variables that hand a command daemon its resolved config, the way the seeds'
 * daemons read theirs: key `gamesPerBatch` of daemon `selfplay` under prefix `RINGMASTER` is
 * `RINGMASTER_SELFPLAY_GAMES_PER_BATCH`. Strings go as they are, numbers and booleans as written
 * in JSON (`8`, `true`), objects and arrays as JSON, null as the empty string; undefined keys are
 * left out. `envName` (DESIGN.md §2) replaces the daemon's name in the variable names.
 */
export function configEnv(
  prefix: string,
  envName: string,
  config: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    env[envVarName(prefix, envName, key)] = envValue(value);
  }
  return env;
}

function envValue(value: unknown): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return JSON.stringify(value);
}

/**
 * A program's whole environment: the manager's own (`inherited`, so PATH, HOME and the like
 * reach it), then the config variables, then the spec's `env`, later winning.
 */
export function programEnv(
  inherited: Readonly<Record<string, string | undefined>>,
  ...layers: ReadonlyArray<Readonly<Record<string, string>> | undefined>
): Record<string, string | undefined> {
  return Object.assign({}, inherited, ...layers);
}
