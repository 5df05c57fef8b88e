/**
 * What resolving the configuration produces: each daemon's final spec and frozen config with the
 * layer every value came from, the manager-wide settings, and the options of `resolveConfig`.
 */
import type { DaemonSpec, HttpOptions } from "../registry/types.js";

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
  /** `${PREFIX}_NODE_ID`, if set. */
  nodeId: string | undefined;
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
