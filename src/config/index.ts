/** The config folder in one import: env names, loading the config file and resolving its layers. */
export { SETTINGS_ENV, settingsVarName, upperSnake } from "./env.js";
export { CONFIG_FILE_NAMES, findConfigFile, loadConfigFile } from "./load.js";
export type {
  ConfigSource,
  ManagerSettings,
  ResolvedConfig,
  ResolvedDaemon,
  ResolveOptions,
} from "./resolve.js";
export { describeSource, envVarName, resolveConfig } from "./resolve.js";
