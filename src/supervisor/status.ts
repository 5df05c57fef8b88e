import type { Clock } from "../internal/clock.js";
import { formatDuration } from "../registry/duration.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { SupervisionTree } from "./tree.js";
import type { DaemonStatus, ProbeReport } from "./types.js";

/** The status of one daemon as `manager.status(name)` shows it. */
export function statusOf(tree: SupervisionTree, name: string): DaemonStatus {
  const d = tree.sup(name);
  const { spec, cycling: stats } = d;
  return {
    name,
    description: spec.description,
    category: spec.category,
    state: d.state,
    ready: d.isUp,
    requested: tree.isDesired(name),
    pulledInBy: tree.pulledInBy(name),
    waitingOn: d.state === "waiting" ? tree.missingDeps(d) : [],
    health: d.currentHealth(),
    restarts: d.restarts,
    restartAttempt: d.restartAttempt,
    maxRestarts: spec.restart.maxRestarts,
    lastError: d.lastError,
    lastErrorAt: d.lastErrorAt,
    startedAt: d.isUp || d.state === "starting" ? d.startedAt : null,
    stoppedAt: d.stoppedAt,
    unstopped: d.unstopped,
    nextRestartAt: d.nextRestartAt,
    lastHeartbeatAt: d.lastHeartbeatAt,
    heartbeat: d.heartbeat,
    cycles: stats.cycles,
    cycleErrors: stats.cycleErrors,
    consecutiveErrors: stats.consecutiveErrors,
    lastCycleAt: stats.lastCycleAt,
    lastCycleDurationMs: stats.lastCycleDurationMs,
    stalls: d.stalls,
    lastStall: d.lastStall,
    dependsOn: [...spec.dependsOn],
    dependents: tree.graph.dependentsOf(name),
    subscribes: [...spec.subscribes],
    emits: [...spec.emits],
    critical: spec.critical,
    enabled: spec.enabled,
    autoStart: spec.autoStart,
    deprecated: spec.deprecated ?? null,
    schedule: { interval: spec.interval ?? null, cron: spec.cron ?? null },
    isolation: d.isolation(),
  };
}

/** The record of a daemon the store keeps (DESIGN.md §6). */
export function recordOf(d: DaemonSupervisor) {
  return {
    name: d.name,
    state: d.state,
    enabled: d.spec.enabled,
    autoStart: d.spec.autoStart,
    restartCount: d.restarts,
    lastError: d.lastError,
    startedAt: d.isUp || d.state === "starting" ? d.startedAt : null,
    lastHeartbeatAt: d.lastHeartbeatAt,
    heartbeatDetails: d.heartbeat,
  };
}

/**
 * Liveness of the daemons: no critical desired daemon has `failed` for good. Liveness and the
 * restart decision agree: a daemon that is unhealthy, hung or restarting is the manager's to fix
 * (its health checks fail it at `unhealthyThreshold`, then it restarts), so it does not make
 * `/health` 503 and an orchestrator does not restart the whole process for it; one the manager
 * gave up on does.
 */
export function livenessReasons(tree: SupervisionTree): string[] {
  const reasons: string[] = [];
  for (const name of tree.desiredNames()) {
    const d = tree.sup(name);
    if (!d.spec.critical || !d.spec.enabled) continue;
    if (d.state === "failed")
      reasons.push(`${name}: failed${d.lastError ? ` (${d.lastError})` : ""}`);
  }
  return reasons;
}

/** Readiness: started, not shutting down, and every desired daemon running. */
export function readiness(tree: SupervisionTree, started: boolean, clock: Clock): ProbeReport {
  const reasons: string[] = [];
  if (tree.shuttingDown) reasons.push("shutting down");
  if (!started) reasons.push("not started");
  for (const name of tree.topoOrder) {
    if (!tree.isDesired(name)) continue;
    const d = tree.sup(name);
    // standby: a cluster daemon that runs where its lease is held, which is not here.
    if (d.isUp || !d.spec.enabled || d.state === "standby") continue;
    if (d.state === "waiting")
      reasons.push(`${name}: waiting on ${tree.missingDeps(d).join(", ") || "its turn"}`);
    else if (d.state === "backoff")
      reasons.push(
        `${name}: backoff (restart ${d.restartAttempt}/${d.spec.restart.maxRestarts} in ${formatDuration(Math.max(0, (d.nextRestartAt ?? clock.now()) - clock.now()))})`,
      );
    else
      reasons.push(
        `${name}: ${d.state}${d.lastError && d.state === "failed" ? ` (${d.lastError})` : ""}`,
      );
  }
  return { ok: reasons.length === 0, reasons };
}
