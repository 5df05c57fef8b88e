import { coerceError, describeError } from "../internal/errors.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { HealthReport } from "../registry/types.js";
import { runAs } from "./async-context.js";
import type { DaemonSupervisor } from "./daemon.js";
import {
  deriveHealth,
  normalizeHealth,
  STALE_INTERVALS,
  staleHeartbeat,
  UNKNOWN_HEALTH,
} from "./health.js";
import type { Run } from "./run.js";

// Health checks of one daemon: the hook (within healthTimeout) or a derived verdict, the
// schedule, and the unhealthy streak that fails the run at `unhealthyThreshold`.

export function scheduleHealth(d: DaemonSupervisor, run: Run): void {
  if (run.healthTimer) d.host.clock.clearTimeout(run.healthTimer);
  run.healthTimer = d.host.clock.setTimeout(async () => {
    run.healthTimer = undefined;
    if (run !== d.run) return;
    await checkHealth(d, { scheduled: true });
    if (run === d.run) scheduleHealth(d, run);
  }, d.spec.healthInterval);
}

/**
 * Runs the health check now (hook or derived). Only scheduled checks count toward
 * `unhealthyThreshold`: one asked for by an operator (`POST …/health`, `manager.checkHealth`)
 * reports and changes nothing else, so no request can restart a daemon.
 */
export async function checkHealth(
  d: DaemonSupervisor,
  { scheduled = false }: { scheduled?: boolean } = {},
): Promise<HealthReport> {
  const run = d.run;
  if (!run || !d.isUp) {
    const report = notRunningHealth(d);
    setHealth(d, report);
    return report;
  }
  const report = await (run.healthInFlight ?? evaluate(d, run));
  if (run !== d.run || !scheduled) return report;
  countTowardThreshold(d, run, report);
  return report;
}

/** One evaluation of the hook (or the derived verdict), shared by callers while it runs. */
function evaluate(d: DaemonSupervisor, run: Run): Promise<HealthReport> {
  const { clock } = d.host;
  const check = (async (): Promise<HealthReport> => {
    // A heartbeat gone quiet is unhealthy whatever the hook would say.
    const stale = heartbeatVerdict(d, run);
    if (stale) return stale;
    const hook = run.hooks.health;
    if (!hook) return derivedHealth(d);
    try {
      const outcome = await withTimeout(
        clock,
        // A check asked for over HTTP still runs as the daemon's code.
        runAs(run.owner, () => Promise.resolve().then(() => hook(run.ctx))),
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
  run.healthInFlight = check.then((report) => {
    run.healthInFlight = undefined;
    if (run === d.run) setHealth(d, report);
    return report;
  });
  return run.healthInFlight;
}

/** A scheduled check's verdict: `unhealthyThreshold` unhealthy ones in a row fail the run. */
function countTowardThreshold(d: DaemonSupervisor, run: Run, report: HealthReport): void {
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
}

/** The `heartbeatTimeout` verdict for the current run while it runs (not while paused). */
function heartbeatVerdict(d: DaemonSupervisor, run: Run | undefined): HealthReport | undefined {
  if (d.spec.heartbeatTimeout === undefined || !run || d.state !== "running") return undefined;
  return staleHeartbeat({
    now: d.host.clock.now(),
    lastBeatAt: run.lastBeatAt,
    timeout: d.spec.heartbeatTimeout,
  });
}

/** Just the health status, without building a report (for probes). */
export function healthStatus(d: DaemonSupervisor): HealthReport["status"] {
  if (!d.isUp) return d.state === "failed" || d.state === "backoff" ? "unhealthy" : "unknown";
  if (d.spec.health) return d.health.status;
  if (heartbeatVerdict(d, d.run)) return "unhealthy";
  if (d.spec.cycle && d.state !== "paused") {
    const period = d.spec.interval ?? d.period;
    const last = d.cycling.lastCycleAt ?? d.startedAt;
    if (
      period !== undefined &&
      last !== null &&
      d.host.clock.now() - last > STALE_INTERVALS * period
    )
      return "unhealthy";
  }
  return d.cycling.consecutiveErrors > 0 ? "degraded" : "healthy";
}

/** The health shown in status: the last hook report, or derived live. */
export function currentHealth(d: DaemonSupervisor): HealthReport {
  if (!d.isUp) return notRunningHealth(d);
  if (d.spec.health) return d.health;
  return derivedHealth(d);
}

export function derivedHealth(d: DaemonSupervisor): HealthReport {
  const stale = heartbeatVerdict(d, d.run);
  if (stale) return stale;
  return deriveHealth({
    now: d.host.clock.now(),
    period: d.spec.cycle ? d.period : undefined,
    lastCycleAt: d.cycling.lastCycleAt,
    startedAt: d.startedAt,
    consecutiveErrors: d.cycling.consecutiveErrors,
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
