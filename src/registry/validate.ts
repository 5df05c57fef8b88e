import { DAEMON_NAME_PATTERN } from "./defaults.js";
import { createGraph } from "./graph.js";
import { suggest } from "./suggest.js";
import type {
  DaemonSpec,
  RingmasterConfig,
  ValidationProblem,
  ValidationResult,
  ValidationSeverity,
} from "./types.js";

/**
 * The stable codes of `validateConfig`'s problems. Errors make `ok` false; warnings do not.
 *
 * | code | severity |
 * | --- | --- |
 * | `duplicate-name`, `invalid-name`, `unknown-dependency`, `self-dependency`, `cycle` | error |
 * | `startup-order` (a dependency starts later), `startup-order-unknown`, `startup-order-duplicate` | error |
 * | `startup-order-missing` (sequential start-up only) | warning |
 * | `profile-unknown-daemon`, `profile-missing-dependency` | error |
 * | `invalid-config-default`, `unknown-daemon-config`, `duplicate-job-type`, `disabled-dependency` | error |
 * | `deprecated`, `depends-on-deprecated`, `event-never-emitted`, `event-never-subscribed`, `cluster-scope-store` | warning |
 * | `invalid-spec` (an entry of `daemons` that is not a spec) | error |
 * | `internal` (a check itself threw; never expected) | error |
 */
export const VALIDATION_CODES = [
  "duplicate-name",
  "invalid-name",
  "unknown-dependency",
  "self-dependency",
  "cycle",
  "startup-order",
  "startup-order-unknown",
  "startup-order-duplicate",
  "startup-order-missing",
  "profile-unknown-daemon",
  "profile-missing-dependency",
  "invalid-config-default",
  "unknown-daemon-config",
  "duplicate-job-type",
  "disabled-dependency",
  "deprecated",
  "depends-on-deprecated",
  "event-never-emitted",
  "event-never-subscribed",
  "cluster-scope-store",
  "invalid-spec",
  "internal",
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

type Report = (
  severity: ValidationSeverity,
  code: ValidationCode,
  subject: string | undefined,
  message: string,
) => void;

/**
 * Checks a whole configuration and returns every problem found, errors and warnings, each with a
 * stable `code`, a `subject` (daemon, profile, job or event type) and a one-line message.
 * Never throws; `ok` is true when there are no errors.
 */
export function validateConfig(config: RingmasterConfig): ValidationResult {
  const errors: ValidationProblem[] = [];
  const warnings: ValidationProblem[] = [];
  const report: Report = (severity, code, subject, message) => {
    const problem: ValidationProblem = { severity, code, message };
    if (subject !== undefined) problem.subject = subject;
    (severity === "error" ? errors : warnings).push(problem);
  };
  const declared: unknown[] = Array.isArray(config?.daemons) ? [...config.daemons] : [];
  const daemons: DaemonSpec[] = [];
  declared.forEach((spec, i) => {
    if (isSpec(spec)) daemons.push(spec);
    else {
      report(
        "error",
        "invalid-spec",
        undefined,
        `daemons[${i}] is not a daemon spec (declare it with defineDaemon), found ${spec === null ? "null" : typeof spec}`,
      );
    }
  });
  const byName = new Map<string, DaemonSpec>();
  for (const spec of daemons) if (!byName.has(spec.name)) byName.set(spec.name, spec);
  const checks: ((r: Report) => void)[] = [
    (r) => checkNames(daemons, r),
    (r) => checkDependencies(daemons, byName, r),
    (r) => checkStartupOrder(config, byName, r),
    (r) => checkProfiles(config, byName, r),
    (r) => checkConfigDefaults(config, daemons, byName, r),
    (r) => checkJobs(config, r),
    (r) => checkDeprecated(daemons, byName, r),
    (r) => checkEvents(daemons, r),
    (r) => checkScope(config, daemons, r),
  ];
  for (const check of checks) {
    try {
      check(report);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      report("error", "internal", undefined, `validation could not finish a check: ${message}`);
    }
  }
  return { ok: errors.length === 0, errors, warnings };
}

/** Enough of a spec to check: what `defineDaemon` always produces. */
function isSpec(value: unknown): value is DaemonSpec {
  if (typeof value !== "object" || value === null) return false;
  const spec = value as Partial<DaemonSpec>;
  return (
    typeof spec.name === "string" &&
    Array.isArray(spec.dependsOn) &&
    Array.isArray(spec.subscribes) &&
    Array.isArray(spec.emits)
  );
}

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

function checkNames(daemons: ReadonlyArray<DaemonSpec>, report: Report): void {
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

function checkDependencies(
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

function checkStartupOrder(
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

function checkProfiles(
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
          report(
            "error",
            "profile-missing-dependency",
            profile,
            `profile ${quote(profile)}: ${name} depends on ${dep}, which the profile does not include`,
          );
        }
      }
    }
  }
}

function checkConfigDefaults(
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
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join(".");
      const top = issue.path[0];
      if (typeof top === "string" && top in supplied) continue; // the config file supplies it
      const where = key === "" ? spec.name : `${spec.name}.${key}`;
      report(
        "error",
        "invalid-config-default",
        spec.name,
        `${where}: no valid default (zod: ${issue.message}); give the schema a default or set it in daemonConfig`,
      );
    }
  }
}

function checkJobs(config: RingmasterConfig, report: Report): void {
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

function checkDeprecated(
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

function checkEvents(daemons: ReadonlyArray<DaemonSpec>, report: Report): void {
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

function checkScope(
  config: RingmasterConfig,
  daemons: ReadonlyArray<DaemonSpec>,
  report: Report,
): void {
  const store = config.store ?? "";
  if (/^postgres(ql)?:\/\//.test(store)) return;
  for (const spec of daemons) {
    if (spec.scope === "cluster") {
      report(
        "warning",
        "cluster-scope-store",
        spec.name,
        `${spec.name} has scope "cluster", which needs a shared postgres:// store, but the store is ${quote(store)}`,
      );
    }
  }
}
