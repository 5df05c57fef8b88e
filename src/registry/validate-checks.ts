/**
 * The individual checks of `validateConfig`, one function per concern: names, dependencies and
 * cycles, startup order, profiles, config defaults, jobs, deprecation, events and scope. Each
 * states its problems through `report` and never stops at the first one.
 */
import type { ZodType } from "zod";
import { envVarName } from "../config/env.js";
import { hasDefault, schemaShape } from "../config/schema.js";
import { DAEMON_NAME_PATTERN } from "./defaults.js";
import { createGraph } from "./graph.js";
import { suggest } from "./suggest.js";
import type { DaemonSpec, RingmasterConfig } from "./types.js";
import type { Report } from "./validate-codes.js";

const quote = (name: string) => JSON.stringify(name);
const didYouMean = (name: string, candidates: Iterable<string>) => {
  const close = suggest(name, candidates);
  return close === undefined ? "" : ` (did you mean ${quote(close)}?)`;
};

/** `AutoSync`, `auto-sync`, `AUTO_SYNC` → `auto_sync`, to suggest for a malformed name. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}

/** `duplicate-name`, `invalid-name` (with a snake_case suggestion). */
export function checkNames(daemons: ReadonlyArray<DaemonSpec>, report: Report): void {
  const seen = new Map<string, number>();
  daemons.forEach((spec, i) => {
    const first = seen.get(spec.name);
    if (first !== undefined) {
      report(
        "error",
        "duplicate-name",
        spec.name,
        `daemon name ${quote(spec.name)} is declared twice (daemons[${first}] and daemons[${i}])`,
      );
      return;
    }
    seen.set(spec.name, i);
    if (!DAEMON_NAME_PATTERN.test(spec.name)) {
      const fixed = snakeCase(spec.name);
      const hint = DAEMON_NAME_PATTERN.test(fixed) ? ` (did you mean ${quote(fixed)}?)` : "";
      report(
        "error",
        "invalid-name",
        spec.name,
        `daemon name ${quote(spec.name)} is not lower_snake_case: expected a lowercase letter, then lowercase letters, digits and single underscores, like "auto_sync"${hint}`,
      );
    }
  });
}

/** `self-dependency`, `unknown-dependency`, `disabled-dependency`, and one `cycle` per cycle. */
export function checkDependencies(
  daemons: ReadonlyArray<DaemonSpec>,
  byName: Map<string, DaemonSpec>,
  report: Report,
): void {
  for (const spec of new Set(daemons)) {
    if (byName.get(spec.name) !== spec) continue;
    for (const dep of spec.dependsOn) {
      if (dep === spec.name) {
        report("error", "self-dependency", spec.name, `${spec.name} depends on itself`);
        continue;
      }
      const target = byName.get(dep);
      if (!target) {
        report(
          "error",
          "unknown-dependency",
          spec.name,
          `${spec.name} depends on ${quote(dep)}, which is not declared${didYouMean(dep, byName.keys())}`,
        );
        continue;
      }
      if (spec.enabled && !target.enabled) {
        report(
          "error",
          "disabled-dependency",
          spec.name,
          `${spec.name} depends on ${dep}, which is disabled; enable ${dep} or disable ${spec.name}`,
        );
      }
    }
  }
  for (const cycle of createGraph([...byName.values()]).findCycles()) {
    if (cycle.length <= 2) continue; // a self-dependency, reported above
    report("error", "cycle", cycle[0], `dependency cycle: ${cycle.join(" → ")}`);
  }
}

/** `startup-order` (a dependency listed later), `-unknown`, `-duplicate`, `-missing` (sequential only). */
export function checkStartupOrder(
  config: RingmasterConfig,
  byName: Map<string, DaemonSpec>,
  report: Report,
): void {
  const order = config.startupOrder;
  if (!order) {
    if (config.startup === "sequential") {
      report(
        "warning",
        "startup-order-missing",
        undefined,
        'startup is "sequential" but no startupOrder is given; daemons will start in dependency order',
      );
    }
    return;
  }
  const position = new Map<string, number>();
  order.forEach((name, i) => {
    if (position.has(name)) {
      report(
        "error",
        "startup-order-duplicate",
        name,
        `startupOrder lists ${name} twice (pos ${position.get(name)! + 1} and pos ${i + 1})`,
      );
      return;
    }
    position.set(name, i);
    if (!byName.has(name)) {
      report(
        "error",
        "startup-order-unknown",
        name,
        `startupOrder (pos ${i + 1}) names ${quote(name)}, which is not declared${didYouMean(name, byName.keys())}`,
      );
    }
  });
  position.forEach((i, name) => {
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      const j = position.get(dep);
      if (j !== undefined && j > i) {
        report(
          "error",
          "startup-order",
          name,
          `${name} (pos ${i + 1}) depends on ${dep} (pos ${j + 1}), but ${dep} starts after ${name}`,
        );
      }
    }
  });
  if (config.startup === "sequential") {
    for (const name of byName.keys()) {
      if (!position.has(name)) {
        report(
          "warning",
          "startup-order-missing",
          name,
          `${name} is not in startupOrder; sequential start-up will start it after the listed daemons`,
        );
      }
    }
  }
}

/** `name` and everything it depends on, directly or not, among the declared daemons. */
function dependencyClosure(name: string, byName: Map<string, DaemonSpec>): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    if (out.has(n) || !byName.has(n)) return;
    out.add(n);
    for (const dep of byName.get(n)?.dependsOn ?? []) visit(dep);
  };
  visit(name);
  return out;
}

/**
 * `profile-unknown-daemon` (error); `profile-missing-dependency` (warning: starting the profile
 * pulls the dependency in, and the message names everything it pulls in).
 */
export function checkProfiles(
  config: RingmasterConfig,
  byName: Map<string, DaemonSpec>,
  report: Report,
): void {
  for (const [profile, members] of Object.entries(config.profiles ?? {})) {
    const included = new Set(members);
    for (const name of included) {
      const spec = byName.get(name);
      if (!spec) {
        report(
          "error",
          "profile-unknown-daemon",
          profile,
          `profile ${quote(profile)} names ${quote(name)}, which is not declared${didYouMean(name, byName.keys())}`,
        );
        continue;
      }
      for (const dep of spec.dependsOn) {
        if (byName.has(dep) && dep !== name && !included.has(dep)) {
          const pulled = [...dependencyClosure(dep, byName)].filter((n) => !included.has(n));
          report(
            "warning",
            "profile-missing-dependency",
            profile,
            `profile ${quote(profile)}: ${name} depends on ${dep}, which the profile does not include; starting the profile pulls in ${pulled.join(", ")}`,
          );
        }
      }
    }
  }
}

/** `unknown-daemon-config`, and `invalid-config-default` for a key neither the schema nor `daemonConfig` gives a valid value. */
export function checkConfigDefaults(
  config: RingmasterConfig,
  daemons: ReadonlyArray<DaemonSpec>,
  byName: Map<string, DaemonSpec>,
  report: Report,
): void {
  for (const name of Object.keys(config.daemonConfig ?? {})) {
    if (!byName.has(name)) {
      report(
        "error",
        "unknown-daemon-config",
        name,
        `daemonConfig has values for ${quote(name)}, which is not declared${didYouMean(name, byName.keys())}`,
      );
    }
  }
  for (const spec of new Set(daemons)) {
    if (!spec.config || byName.get(spec.name) !== spec) continue;
    const supplied = config.daemonConfig?.[spec.name] ?? {};
    let result: ReturnType<NonNullable<DaemonSpec["config"]>["safeParse"]>;
    try {
      result = spec.config.safeParse({});
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      report(
        "error",
        "invalid-config-default",
        spec.name,
        `${spec.name}: the config schema cannot parse {} synchronously: ${message}`,
      );
      continue;
    }
    if (result.success) continue;
    const shape = schemaShape(spec.config);
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join(".");
      const top = issue.path[0];
      if (typeof top === "string" && top in supplied) continue; // the config file supplies it
      const where = key === "" ? spec.name : `${spec.name}.${key}`;
      if (typeof top === "string" && issue.path.length === 1 && lacksDefault(shape?.[top])) {
        // A required key without a default: any later layer may supply it (secrets come from env).
        report(
          "warning",
          "config-key-without-default",
          spec.name,
          `${where} has no default: set it in daemonConfig, the YAML overrides, env ${envVarName(config.envPrefix, spec.envName ?? spec.name, top)} or the store, or start-up fails`,
        );
        continue;
      }
      report(
        "error",
        "invalid-config-default",
        spec.name,
        `${where}: no valid default (zod: ${issue.message}); give the schema a default or set it in daemonConfig`,
      );
    }
  }
}

/** A key schema that rejects undefined and has no default of its own: a value must be supplied. */
function lacksDefault(schema: ZodType | undefined): boolean {
  if (!schema) return false;
  return !schema.safeParse(undefined).success && !hasDefault(schema);
}

/** `duplicate-job-type`. */
export function checkJobs(config: RingmasterConfig, report: Report): void {
  const seen = new Set<string>();
  for (const job of config.jobs ?? []) {
    if (seen.has(job.type)) {
      report(
        "error",
        "duplicate-job-type",
        job.type,
        `job type ${quote(job.type)} has more than one handler`,
      );
    }
    seen.add(job.type);
  }
}

/** `deprecated` for an enabled deprecated daemon, `depends-on-deprecated` for its dependents. */
export function checkDeprecated(
  daemons: ReadonlyArray<DaemonSpec>,
  byName: Map<string, DaemonSpec>,
  report: Report,
): void {
  for (const spec of byName.values()) {
    if (spec.deprecated !== undefined && spec.enabled) {
      report("warning", "deprecated", spec.name, `${spec.name} is deprecated: ${spec.deprecated}`);
    }
  }
  for (const spec of new Set(daemons)) {
    if (byName.get(spec.name) !== spec) continue;
    for (const dep of spec.dependsOn) {
      const target = byName.get(dep);
      if (target?.deprecated !== undefined && dep !== spec.name) {
        report(
          "warning",
          "depends-on-deprecated",
          spec.name,
          `${spec.name} depends on ${dep}, which is deprecated: ${target.deprecated}`,
        );
      }
    }
  }
}

/** `event-never-emitted`, `event-never-subscribed` (warnings). */
export function checkEvents(daemons: ReadonlyArray<DaemonSpec>, report: Report): void {
  const subscribers = new Map<string, string[]>();
  const emitters = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, type: string, name: string) => {
    const list = map.get(type);
    if (list) list.push(name);
    else map.set(type, [name]);
  };
  for (const spec of daemons) {
    for (const type of spec.subscribes) add(subscribers, type, spec.name);
    for (const type of spec.emits) add(emitters, type, spec.name);
  }
  subscribers.forEach((names, type) => {
    if (!emitters.has(type)) {
      report(
        "warning",
        "event-never-emitted",
        type,
        `event ${type} is subscribed by ${names.join(", ")} but no daemon emits it${didYouMean(type, emitters.keys())}`,
      );
    }
  });
  emitters.forEach((names, type) => {
    if (!subscribers.has(type)) {
      report(
        "warning",
        "event-never-subscribed",
        type,
        `event ${type} is emitted by ${names.join(", ")} but no daemon subscribes to it${didYouMean(type, subscribers.keys())}`,
      );
    }
  });
}

/** `cluster-scope-store`: a cluster-scoped daemon on a store no other process shares (memory). */
export function checkScope(
  config: RingmasterConfig,
  daemons: ReadonlyArray<DaemonSpec>,
  report: Report,
): void {
  const store = config.store ?? "";
  if (!/^memory:/.test(store)) return;
  for (const spec of daemons) {
    if (spec.scope === "cluster") {
      report(
        "warning",
        "cluster-scope-store",
        spec.name,
        `${spec.name} has scope "cluster", which needs a store the nodes share (postgres://, or one sqlite: file for the processes of one host), but the store is ${quote(store)}`,
      );
    }
  }
}
