import { formatDuration } from "../registry/duration.js";
import type { DaemonSpec, HealthStatus } from "../registry/types.js";
import type { DaemonState, ShutdownReport, StartReport } from "../supervisor/types.js";
import { type Painter, pad, visibleLength } from "./ansi.js";

/** How a daemon is scheduled, in a few words: `every 3s`, `cron 0 * * * *`, `run`, `events`. */
export function describeSchedule(spec: DaemonSpec): string {
  if (spec.interval !== undefined) return `every ${formatDuration(spec.interval)}`;
  if (spec.cron !== undefined) return `cron ${spec.cron}`;
  if (spec.run) return "run";
  if (spec.subscribes.length > 0) return "events";
  return "-";
}

/** Lays out rows as columns separated by two spaces; the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** The colour of each state in the live view. */
export function paintState(state: DaemonState, p: Painter): string {
  switch (state) {
    case "running":
      return p.green(state);
    case "starting":
    case "waiting":
      return p.yellow(state);
    case "backoff":
      return p.magenta(state);
    case "failed":
      return p.red(p.bold(state));
    case "paused":
      return p.cyan(state);
    default:
      return p.gray(state);
  }
}

export function paintHealth(status: HealthStatus, p: Painter): string {
  switch (status) {
    case "healthy":
      return p.green(status);
    case "degraded":
      return p.yellow(status);
    case "unhealthy":
      return p.red(status);
    default:
      return p.gray(status);
  }
}

/** `12 running, 0 failed, 0 waiting (started in 350ms)`. */
export function formatStartReport(report: StartReport): string {
  const pulled = report.pulledIn.length > 0 ? `; pulled in ${report.pulledIn.join(", ")}` : "";
  const list = (names: string[]) => (names.length > 0 ? ` (${names.join(", ")})` : "");
  return (
    `${report.running.length} running, ${report.failed.length} failed${list(report.failed)}, ` +
    (report.retrying.length > 0
      ? `${report.retrying.length} retrying${list(report.retrying)}, `
      : "") +
    `${report.waiting.length} waiting${list(report.waiting)} — started in ${formatDuration(report.durationMs)}${pulled}`
  );
}

/**
 * The shutdown report: what stopped (in the order it finished) and how long each took, what did
 * not stop and why, and the total time.
 */
export function formatShutdownReport(report: ShutdownReport, p: Painter): string[] {
  const lines: string[] = [];
  const total = formatDuration(report.durationMs);
  const verdict =
    report.unstopped.length === 0
      ? p.green(`shutdown complete: ${report.stopped.length} stopped in ${total}`)
      : p.red(
          `shutdown finished in ${total}: ${report.stopped.length} stopped, ${report.unstopped.length} did not stop`,
        );
  lines.push(verdict);
  lines.push(
    ...table(report.stopped.map((s) => ["  stopped", s.name, formatDuration(s.durationMs)])),
  );
  lines.push(
    ...table(report.unstopped.map((u) => ["  did not stop", u.name, u.reason])).map((l) =>
      p.red(l),
    ),
  );
  return lines;
}

/** `1m 5s`-style age of a timestamp, or `-`. */
export function since(at: number | null, now: number): string {
  return at === null ? "-" : formatDuration(Math.max(0, now - at));
}
