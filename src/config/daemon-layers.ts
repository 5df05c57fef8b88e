/**
 * The layers of one daemon's config, in the order they apply (later wins): the config file's
 * `daemonConfig`, the YAML overrides file, the environment (`${PREFIX}_${DAEMON}_${KEY}`) and the
 * overrides saved in the store; and the warning for an env variable under a daemon's prefix that
 * names none of its keys.
 */
import type { DaemonSpec, RingmasterConfig } from "../registry/types.js";
import { envVarName } from "./env.js";
import { didYouMean } from "./messages.js";
import type { OverridesFile } from "./overrides-file.js";
import { schemaShape } from "./schema.js";
import type { ConfigSource } from "./types.js";

/** Keys every daemon accepts in the per-daemon layers besides its schema's keys. */
export const SPEC_KEYS = ["enabled", "autoStart", "interval"] as const;
export type SpecKey = (typeof SPEC_KEYS)[number];
export const isSpecKey = (key: string): key is SpecKey =>
  (SPEC_KEYS as readonly string[]).includes(key);

/** How a layer's values are read. */
export interface Layer {
  source: ConfigSource;
  /** Bare numbers for durations are seconds (YAML, env), not ms (code, store). */
  seconds: boolean;
  /** Values are environment text to coerce by the schema. */
  text: boolean;
}

/** One layer and its values for one daemon, by key as written. */
export type LayerValues = [Layer, Record<string, unknown>];

/** Where the layers of every daemon come from. */
export interface LayerSources {
  config: RingmasterConfig;
  yaml: OverridesFile | undefined;
  env: Record<string, string | undefined>;
  stored: Record<string, Record<string, unknown>>;
}

/**
 * The layers of `spec`, earliest first. Adds every env variable name the daemon reads to
 * `knownVars` (set or not), so `warnStrayEnv` can tell a typo from a key.
 */
export function daemonLayers(
  spec: DaemonSpec,
  { config, yaml, env, stored }: LayerSources,
  knownVars: Set<string>,
): LayerValues[] {
  const layers: LayerValues[] = [
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
  return layers;
}

/** Warns about `${PREFIX}_${DAEMON}_…` variables that match no key of that daemon (typos). */
export function warnStrayEnv(
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
