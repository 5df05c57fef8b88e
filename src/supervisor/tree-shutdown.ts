/**
 * The tree's shutdown: every daemon stops in reverse dependency order (dependents first,
 * independent ones together), each within its own stopTimeout from the moment it is asked; an
 * optional timeout bounds the whole and then asks every daemon not asked yet.
 */
import type { Clock } from "../internal/clock.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { DependencyGraph } from "../registry/graph.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { ShutdownReport } from "./types.js";

/** The daemons' part of a shutdown report. */
export type DaemonsStopReport = Pick<ShutdownReport, "stopped" | "unstopped">;

/**
 * Stops every daemon, dependents first (independent ones together); each gets its own
 * stopTimeout from the moment it is asked. `timeout` (ms; none when undefined) bounds the whole:
 * when it runs out, every daemon not asked yet is asked at once, without waiting for its
 * dependents, and each one not stopped is reported as unstopped.
 */
export async function stopAllInReverse(
  graph: DependencyGraph,
  supervisors: ReadonlyMap<string, DaemonSupervisor>,
  clock: Clock,
  timeout: number | undefined,
): Promise<DaemonsStopReport> {
  const report: DaemonsStopReport = { stopped: [], unstopped: [] };
  /** Set when the report is final: a daemon that stops after the timeout is not added twice. */
  let final = false;
  const done = new Map<string, Promise<void>>();
  const asked = new Set<string>();
  const stopInOrder = (name: string): Promise<void> => {
    let p = done.get(name);
    if (p) return p;
    p = (async () => {
      await Promise.all(graph.dependentsOf(name).map(stopInOrder));
      const d = supervisors.get(name) as DaemonSupervisor;
      const wasActive = d.state !== "stopped";
      asked.add(name);
      const result = await d.stop("stopped", "shutdown");
      if (!wasActive || final) return;
      if (result.ok) report.stopped.push({ name, durationMs: result.durationMs });
      else report.unstopped.push({ name, reason: result.reason ?? "did not stop" });
    })();
    done.set(name, p);
    return p;
  };
  const all = Promise.all(graph.reverseOrder().map(stopInOrder)).then(() => {});
  const outcome = await withTimeout(clock, all, timeout);
  final = true;
  if (!outcome.ok) {
    const reported = new Set([...report.stopped, ...report.unstopped].map((r) => r.name));
    const limit = formatDuration(timeout ?? 0);
    for (const d of supervisors.values()) {
      if (d.state === "stopped" || reported.has(d.name)) continue;
      if (asked.has(d.name)) {
        report.unstopped.push({
          name: d.name,
          reason: `still ${d.state} when the shutdown timeout (${limit}) ran out`,
        });
        continue;
      }
      // Never asked (a dependent was still stopping): asked now, so its cleanup still runs.
      asked.add(d.name);
      void d.stop("stopped", "shutdown timeout ran out");
      report.unstopped.push({
        name: d.name,
        reason: `asked to stop only when the shutdown timeout (${limit}) ran out; its stopTimeout runs from then`,
      });
    }
  }
  return report;
}
