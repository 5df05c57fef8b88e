/**
 * The layers of one daemon's config, in the order they apply (later wins): the interval variables
 * shared by many daemons, the config file's `daemonConfig`, the YAML overrides file, the
 * environment (`${PREFIX}_${ENV_NAME}_${KEY}`) and the overrides saved in the store; and the
 * warning for an env variable under the prefix that looks like a typo of one the config reads.
 */
import type { DaemonSpec, RingmasterConfig } from "../registry/types.js";
import { envVarName, OTHER_ENV, upperSnake } from "./env.js";
import { type CategoryInterval, intervalLayers } from "./intervals.js";
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
  /** `${PREFIX}_DAEMON_INTERVAL`, when set and valid. */
  defaultInterval?: { ms: number; name: string } | undefined;
  /** `${PREFIX}_${CATEGORY}_INTERVAL`, by category, when set and valid. */
  categoryIntervals?: Map<string, CategoryInterval>;
}

/**
 * The layers of `spec`, earliest first. Adds every env variable name the daemon reads to
 * `knownVars` (set or not), so `warnStrayEnv` can tell a typo from a key.
 */
export function daemonLayers(
  spec: DaemonSpec,
  { config, yaml, env, stored, defaultInterval, categoryIntervals }: LayerSources,
  knownVars: Set<string>,
): LayerValues[] {
  const layers: LayerValues[] = [
    ...intervalLayers(spec, defaultInterval, categoryIntervals ?? new Map()),
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
    const name = envVarName(config.envPrefix, spec.envName ?? spec.name, key);
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

/**
 * Warns about variables under the prefix that the config does not read: one under a daemon's
 * `${PREFIX}_${ENV_NAME}_` that matches none of its keys, and any other whose name is close to one
 * that is read (`RINGMASTER_AUTO_SYNK_BATCH_SIZE`: a typo in the daemon part). A variable close to
 * nothing is left alone: other tools may share the prefix.
 */
export function warnStrayEnv(
  prefix: string,
  specs: ReadonlyArray<Pick<DaemonSpec, "name" | "envName">>,
  env: Record<string, string | undefined>,
  knownVars: Set<string>,
  warnings: string[],
): void {
  const heads = specs
    .map((spec) => ({
      name: spec.name,
      head: `${envVarName(prefix, spec.envName ?? spec.name, "")}_`,
    }))
    .sort((a, b) => b.head.length - a.head.length);
  const root = `${upperSnake(prefix)}_`;
  const others = new Set(OTHER_ENV.map((suffix) => `${root}${suffix}`));
  for (const variable of Object.keys(env)) {
    if (knownVars.has(variable) || others.has(variable) || env[variable] === undefined) continue;
    const owner = heads.find((h) => variable.startsWith(h.head));
    if (owner) {
      const candidates = [...knownVars].filter((v) => v.startsWith(owner.head));
      warnings.push(
        `env ${variable} is set but is not a config key of ${owner.name}${didYouMean(variable, candidates)}; ignored`,
      );
      continue;
    }
    if (!variable.startsWith(root)) continue;
    // Compared without the prefix, so its length does not make every name look close.
    const hint = didYouMean(
      variable.slice(root.length),
      [...knownVars].map((v) => v.slice(root.length)),
    );
    if (hint === "") continue;
    warnings.push(
      `env ${variable} is set but names no daemon, category or setting${hint.replace('"', `"${root}`)}; ignored`,
    );
  }
}
