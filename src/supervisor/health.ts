import { formatDuration, SECOND } from "../registry/duration.js";
import type { HealthReport, HealthStatus } from "../registry/types.js";

const STATUSES: readonly HealthStatus[] = ["healthy", "degraded", "unhealthy", "unknown"];

/**
 * Accepts either hook result shape (`{ status }` or the seeds' `{ healthy }`) and normalizes it;
 * `{ healthy: true, details: { degraded: true } }` is `degraded`.
 */
export function normalizeHealth(result: unknown, at: number): HealthReport {
  if (result && typeof result === "object") {
    const r = result as Partial<Record<string, unknown>>;
    const message = typeof r.message === "string" ? r.message : "";
    const details =
      r.details && typeof r.details === "object" ? (r.details as Record<string, unknown>) : {};
    if (typeof r.status === "string" && STATUSES.includes(r.status as HealthStatus)) {
      return { status: r.status as HealthStatus, message, details, checkedAt: at, source: "hook" };
    }
    if (typeof r.healthy === "boolean") {
      // The seeds' graceful degradation: healthy, but `details.degraded` says it runs reduced.
      const degraded = r.healthy && details.degraded === true;
      return {
        status: r.healthy ? (degraded ? "degraded" : "healthy") : "unhealthy",
        message,
        details,
        checkedAt: at,
        source: "hook",
      };
    }
  }
  return {
    status: "unknown",
    message: `health hook returned ${JSON.stringify(result) ?? String(result)}; expected { status } or { healthy }`,
    details: {},
    checkedAt: at,
    source: "hook",
  };
}

export const UNKNOWN_HEALTH: HealthReport = Object.freeze({
  status: "unknown",
  message: "not checked yet",
  details: {},
  checkedAt: null,
  source: "derived",
}) as HealthReport;

/** How many intervals without a cycle make a periodic daemon stale. */
export const STALE_INTERVALS = 3;

/**
 * Health without a hook: a periodic daemon whose last cycle (or start) is older than three
 * periods is unhealthy (stale); consecutive cycle errors make it degraded.
 */
export function deriveHealth(facts: {
  now: number;
  period: number | undefined;
  lastCycleAt: number | null;
  startedAt: number | null;
  consecutiveErrors: number;
  lastError: string | null;
  paused: boolean;
}): HealthReport {
  let status: HealthStatus = "healthy";
  let message = facts.paused ? "paused" : "ok";
  const last = facts.lastCycleAt ?? facts.startedAt;
  if (
    facts.period !== undefined &&
    !facts.paused &&
    last !== null &&
    facts.now - last > STALE_INTERVALS * facts.period
  ) {
    const ago = formatDuration(facts.now - last);
    const what =
      facts.lastCycleAt === null ? `no cycle completed in ${ago}` : `last cycle ${ago} ago`;
    status = "unhealthy";
    message = `stale: ${what} (expected every ${formatDuration(facts.period)})`;
  } else if (facts.consecutiveErrors > 0) {
    const s = facts.consecutiveErrors === 1 ? "" : "s";
    status = "degraded";
    message = `${facts.consecutiveErrors} consecutive cycle error${s}${facts.lastError ? `: ${facts.lastError}` : ""}`;
  }
  // One object shape for every verdict (no spreads): status() builds one per daemon per call.
  return {
    status,
    message,
    details: { consecutiveErrors: facts.consecutiveErrors, lastCycleAt: facts.lastCycleAt },
    checkedAt: facts.now,
    source: "derived",
  };
}

/**
 * `heartbeatTimeout`: a daemon that beat (`ctx.heartbeat()`) in this run and then not for longer
 * than `timeout` is unhealthy, `"heartbeat 42 s old"`; one that never beat is not judged by it.
 */
export function staleHeartbeat(facts: {
  now: number;
  lastBeatAt: number | null;
  timeout: number | undefined;
}): HealthReport | undefined {
  const { now, lastBeatAt, timeout } = facts;
  if (timeout === undefined || lastBeatAt === null || now - lastBeatAt <= timeout) return undefined;
  const age = now - lastBeatAt;
  return {
    status: "unhealthy",
    message: `heartbeat ${Math.floor(age / SECOND)} s old (heartbeatTimeout ${formatDuration(timeout)})`,
    details: { lastHeartbeatAt: lastBeatAt, heartbeatAgeMs: age },
    checkedAt: now,
    source: "derived",
  };
}
