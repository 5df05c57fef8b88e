/**
 * `resolveConfig`: the configuration resolved once, at start-up, from its layers into each
 * daemon's final spec and frozen config plus the manager settings. The layers are read in
 * `daemon-layers.ts`, merged in `merge-layers.ts`, the settings in `settings.ts`; the result's
 * types live in `types.ts` and are re-exported here, the stable path for every importer.
 */
import { ConfigError } from "../registry/errors.js";
import type { RingmasterConfig } from "../registry/types.js";
import { daemonLayers, warnStrayEnv } from "./daemon-layers.js";
import { settingsVarName } from "./env.js";
import { categoryIntervals } from "./intervals.js";
import { resolveDaemon } from "./merge-layers.js";
import { didYouMean } from "./messages.js";
import { readOverridesFile } from "./overrides-file.js";
import { resolveSettings } from "./settings.js";
import type { ManagerSettings, ResolvedConfig, ResolvedDaemon, ResolveOptions } from "./types.js";

export { envVarName } from "./env.js";
export { describeSource } from "./messages.js";
export type {
  ConfigSource,
  ManagerSettings,
  ResolvedConfig,
  ResolvedDaemon,
  ResolveOptions,
} from "./types.js";

/**
 * Resolves the configuration once, at start-up. For each daemon, later layers win:
 *
 * 1. the zod schema's defaults,
 * 2. the config file's `daemonConfig[name]`,
 * 3. the YAML overrides file (`${PREFIX}_OVERRIDES`, else `config.overridesFile`, relative to
 *    `cwd`); keys may be written in snake_case or camelCase (`threshold_games` = `thresholdGames`),
 * 4. the environment, `${PREFIX}_${ENV_NAME}_${KEY}` where ENV_NAME is the daemon's `envName`
 *    or name (e.g. `RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS`),
 * 5. `storedOverrides` (saved through the API).
 *
 * Below all of them, for `interval`: `${PREFIX}_DAEMON_INTERVAL` gives every cycle that sets no
 * schedule in code its interval (else `DAEMON_DEFAULTS.interval`), and `${PREFIX}_${CATEGORY}_INTERVAL`
 * that of every interval daemon of the category, over its code. `${PREFIX}_DAEMON_SHUTDOWN_TIMEOUT`
 * is the stopTimeout of every daemon that kept the default. A required key without a default may
 * come from any layer. A variable under the prefix close to one that is read is a "did you mean"
 * warning.
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
  const settings = resolveSettings(config, env, problems);
  const overridesFile = settings.overridesFile ?? config.overridesFile;
  const yaml = overridesFile
    ? readOverridesFile(overridesFile, cwd, names, problems, warnings)
    : undefined;

  const daemons = new Map<string, ResolvedDaemon>();
  const knownVars = new Set<string>(settings.vars);
  const defaultInterval =
    settings.defaultInterval === undefined
      ? undefined
      : {
          ms: settings.defaultInterval,
          name: settingsVarName(config.envPrefix, "defaultInterval"),
        };
  const sources = {
    config,
    yaml,
    env,
    stored,
    defaultInterval,
    categoryIntervals: categoryIntervals(config, env, problems, knownVars),
  };
  for (const spec of config.daemons) {
    if (daemons.has(spec.name)) continue;
    const layers = daemonLayers(spec, sources, knownVars);
    const resolved = resolveDaemon(spec, layers, settings, problems, warnings);
    if (resolved) daemons.set(spec.name, resolved);
  }
  warnStrayEnv(config.envPrefix, config.daemons, env, knownVars, warnings);

  if (problems.length > 0) throw new ConfigError(problems);
  return { daemons, settings: Object.freeze(settings.settings) as ManagerSettings, warnings };
}
