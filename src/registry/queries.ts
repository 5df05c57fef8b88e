/**
 * Questions asked of a registry, as pure functions of a config (the seeds' `get_categories`,
 * `get_daemons_by_category`, `get_deprecated_daemons` and `check_registry_health`). None reads the
 * store or the environment, none throws; a name declared twice counts once, by its first
 * declaration (as in the dependency graph), and an entry of `daemons` that is not a spec is left
 * out (`validateConfig` reports it).
 */
import type { DaemonSpec, RingmasterConfig, ValidationProblem } from "./types.js";
import { validateConfig } from "./validate.js";

/** A deprecated daemon and its deprecation message. */
export interface DeprecatedDaemon {
  name: string;
  message: string;
}

/** The registry's verdict on itself: `healthy` when `validateConfig` finds no errors. */
export interface RegistryHealth {
  healthy: boolean;
  /** One line for people: the counts, and the first error when unhealthy. */
  message: string;
  errors: ValidationProblem[];
  warnings: ValidationProblem[];
}

/** Each declared daemon once, in declaration order. */
function declaredDaemons(config: RingmasterConfig): DaemonSpec[] {
  const seen = new Set<string>();
  const out: DaemonSpec[] = [];
  for (const spec of Array.isArray(config?.daemons) ? config.daemons : []) {
    if (typeof spec !== "object" || spec === null || typeof spec.name !== "string") continue;
    if (seen.has(spec.name)) continue;
    seen.add(spec.name);
    out.push(spec);
  }
  return out;
}

/** Every category that some daemon declares, each once, sorted. */
export function categories(config: RingmasterConfig): string[] {
  return [...new Set(declaredDaemons(config).map((spec) => spec.category))].sort();
}

/** The daemons of `category` (matched exactly), in declaration order; empty for an unknown one. */
export function daemonsByCategory(config: RingmasterConfig, category: string): DaemonSpec[] {
  return declaredDaemons(config).filter((spec) => spec.category === category);
}

/** The daemons that carry a `deprecated` message, enabled or not, in declaration order. */
export function deprecatedDaemons(config: RingmasterConfig): DeprecatedDaemon[] {
  return declaredDaemons(config).flatMap((spec) =>
    spec.deprecated === undefined ? [] : [{ name: spec.name, message: spec.deprecated }],
  );
}

const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Validates the registry and sums it up: healthy means no errors (warnings allowed). The message
 * reads `23 daemons in 9 categories, no errors, 2 warnings` when healthy and
 * `2 errors, 1 warning; first: <the first error's message>` when not.
 */
export function registryHealth(config: RingmasterConfig): RegistryHealth {
  const { ok, errors, warnings } = validateConfig(config);
  const noted = warnings.length > 0 ? `, ${counted(warnings.length, "warning")}` : "";
  const message = ok
    ? `${counted(declaredDaemons(config).length, "daemon")} in ${counted(categories(config).length, "category", "categories")}, no errors${noted}`
    : `${counted(errors.length, "error")}${noted}; first: ${errors[0]!.message}`;
  return { healthy: ok, message, errors, warnings };
}
