/**
 * `validateConfig`: runs every check of `validate-checks.ts` over a configuration and collects the
 * problems into errors and warnings; a check that throws becomes an `internal` problem.
 */

import type { DaemonSpec, RingmasterConfig, ValidationProblem, ValidationResult } from "./types.js";
import {
  checkConfigDefaults,
  checkDependencies,
  checkDeprecated,
  checkEvents,
  checkJobs,
  checkNames,
  checkProfiles,
  checkScope,
  checkStartupOrder,
} from "./validate-checks.js";
import type { Report } from "./validate-codes.js";

export { VALIDATION_CODES, type ValidationCode } from "./validate-codes.js";

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
