/**
 * The interval variables that reach many daemons at once: `${PREFIX}_DAEMON_INTERVAL` (every cycle
 * that sets no schedule in code) and `${PREFIX}_${CATEGORY}_INTERVAL` (every interval daemon of
 * that category, the seeds' `RINGRIFT_SYNC_INTERVAL`). Each is read once; a bad value is one problem.
 */
import type { DaemonSpec, RingmasterConfig } from "../registry/types.js";
import type { LayerValues } from "./daemon-layers.js";
import { categoryIntervalVarName } from "./env.js";
import { describeValue } from "./schema.js";
import { envDuration } from "./settings.js";

/** A category's interval from the environment: ms and the variable that set it. */
export interface CategoryInterval {
  ms: number;
  name: string;
}

/**
 * `${PREFIX}_${CATEGORY}_INTERVAL` of every category some daemon declares, by category. Adds each
 * variable name to `knownVars` (set or not) so it is never called a typo.
 */
export function categoryIntervals(
  config: RingmasterConfig,
  env: Record<string, string | undefined>,
  problems: string[],
  knownVars: Set<string>,
): Map<string, CategoryInterval> {
  const out = new Map<string, CategoryInterval>();
  const categories = new Set(config.daemons.map((spec) => spec?.category));
  for (const category of categories) {
    if (typeof category !== "string") continue;
    const name = categoryIntervalVarName(config.envPrefix, category);
    knownVars.add(name);
    const text = env[name];
    if (text === undefined || text.trim() === "") continue;
    const ms = envDuration(text, 1);
    if (ms === undefined) {
      problems.push(
        `category ${category}: interval: expected a duration of more than 0, such as 60 (seconds) or "5m", found ${describeValue(text)} (from env ${name})`,
      );
    } else out.set(category, { ms, name });
  }
  return out;
}

/**
 * The interval layers below a daemon's own (earliest first): `${PREFIX}_DAEMON_INTERVAL` for a
 * cycle that sets no schedule in code, then its category's variable for any interval daemon.
 * Cron daemons and daemons without a cycle get none.
 */
export function intervalLayers(
  spec: DaemonSpec,
  defaultInterval: { ms: number; name: string } | undefined,
  byCategory: Map<string, CategoryInterval>,
): LayerValues[] {
  if (!spec.cycle || spec.cron !== undefined) return [];
  const layers: LayerValues[] = [];
  const layer = (detail: string, ms: number): LayerValues => [
    { source: { kind: "env", detail }, seconds: false, text: false },
    { interval: ms },
  ];
  if (spec.interval === undefined && defaultInterval)
    layers.push(layer(defaultInterval.name, defaultInterval.ms));
  const category = byCategory.get(spec.category);
  if (category) layers.push(layer(category.name, category.ms));
  return layers;
}
