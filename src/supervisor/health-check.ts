import { coerceError, describeError } from "../internal/errors.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { HealthReport } from "../registry/types.js";
import type { DaemonSupervisor } from "./daemon.js";
import { deriveHealth, normalizeHealth, STALE_INTERVALS, UNKNOWN_HEALTH } from "./health.js";
import type { Run } from "./run.js";

// Health checks of one daemon: the hook (within healthTimeout) or a derived verdict, the
// schedule, and the unhealthy streak that fails the run at `unhealthyThreshold`.

export function scheduleHealth(d: DaemonSupervisor, run: Run): void {
  if (run.healthTimer) d.host.clock.clearTimeout(run.healthTimer);
  run.healthTimer = d.host.clock.setTimeout(async () => {
    run.healthTimer = undefined;
    if (run !== d.run) return;
    await checkHealth(d);
    if (run === d.run) scheduleHealth(d, run);
  }, d.spec.healthInterval);
}

/** Runs the health check now (hook or derived); counts toward `unhealthyThreshold`. */
export async function checkHealth(d: DaemonSupervisor): Promise<HealthReport> {
  const run = d.run;
  const { clock } = d.host;
  if (!run || !d.isUp) {
    const report = notRunningHealth(d);
    setHealth(d, report);
    return report;
  }
  if (run.healthInFlight) return run.healthInFlight;
  const check = (async (): Promise<HealthReport> => {
    const hook = run.hooks.health;
    if (!hook) return derivedHealth(d);
    try {
      const outcome = await withTimeout(
        clock,
        Promise.resolve().then(() => hook(run.ctx)),
        d.spec.healthTimeout,
      );
      if (!outcome.ok) {
        return {
          status: "unhealthy",
          message: `health check timed out after ${formatDuration(d.spec.healthTimeout)} (healthTimeout)`,
          details: {},
          checkedAt: clock.now(),
          source: "hook",
        };
      }
      return normalizeHealth(outcome.value, clock.now());
    } catch (thrown) {
      return {
        status: "unhealthy",
        message: `health check threw: ${describeError(coerceError(thrown))}`,
        details: {},
        checkedAt: clock.now(),
        source: "hook",
      };
    }
  })();
  run.healthInFlight = check;
  const report = await check.finally(() => {
    run.healthInFlight = undefined;
  });
  if (run !== d.run) return report;
  setHealth(d, report);
  if (report.status === "unhealthy" && d.state === "running") {
    run.unhealthyStreak++;
    if (run.unhealthyStreak >= d.spec.unhealthyThreshold) {
      d.fail(
        run,
        new Error(
          `unhealthy ${run.unhealthyStreak} checks in a row (unhealthyThreshold ${d.spec.unhealthyThreshold}): ${report.message}`,
        ),
        "health",
      );
    }
  } else {
    run.unhealthyStreak = 0;
  }
  return report;
}

/** Just the health status, without building a report (for probes). */
export function healthStatus(d: DaemonSupervisor): HealthReport["status"] {
  if (!d.isUp) return d.state === "failed" || d.state === "backoff" ? "unhealthy" : "unknown";
  if (d.spec.health) return d.health.status;
  if (d.spec.cycle && d.state !== "paused") {
    const period = d.spec.interval ?? d.period;
    const last = d.stats.lastCycleAt ?? d.startedAt;
    if (
      period !== undefined &&
      last !== null &&
      d.host.clock.now() - last > STALE_INTERVALS * period
    )
      return "unhealthy";
  }
  return d.stats.consecutiveErrors > 0 ? "degraded" : "healthy";
}

/** The health shown in status: the last hook report, or derived live. */
export function currentHealth(d: DaemonSupervisor): HealthReport {
  if (!d.isUp) return notRunningHealth(d);
  if (d.spec.health) return d.health;
  return derivedHealth(d);
}

export function derivedHealth(d: DaemonSupervisor): HealthReport {
  return deriveHealth({
    now: d.host.clock.now(),
    period: d.spec.cycle ? d.period : undefined,
    lastCycleAt: d.stats.lastCycleAt,
    startedAt: d.startedAt,
    consecutiveErrors: d.stats.consecutiveErrors,
    lastError: d.lastError,
    paused: d.state === "paused",
  });
}

export function notRunningHealth(d: DaemonSupervisor): HealthReport {
  const unhealthy = d.state === "failed" || d.state === "backoff";
  return {
    status: unhealthy ? "unhealthy" : "unknown",
    message: unhealthy
      ? `${d.state}${d.lastError ? `: ${d.lastError}` : ""}`
      : `not running (${d.state})`,
    details: {},
    checkedAt: d.host.clock.now(),
    source: "derived",
  };
}

/**
 * Records a check's verdict and announces a change. A derived verdict is not kept (status
 * derives it afresh), only its status and message, so an idle fleet holds no report objects.
 */
export function setHealth(d: DaemonSupervisor, report: HealthReport): void {
  const previous = d.health;
  const changed = previous.status !== report.status || previous.message !== report.message;
  if (report.source === "derived" && !d.spec.health) {
    if (changed) {
      d.health =
        report.status === "unknown" ? UNKNOWN_HEALTH : { ...report, details: {}, checkedAt: null };
    }
  } else {
    d.health = report;
  }
  if (changed) d.host.emit("daemon:health", { name: d.name, health: report, previous });
}
