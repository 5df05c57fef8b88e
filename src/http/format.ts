import { formatDuration } from "../registry/duration.js";
import type { DaemonStatus } from "../supervisor/types.js";

/**
 * One daemon in the seeds' status form (seed 004):
 * `auto_sync: RUNNING (healthy)`, `auto_sync: RUNNING (degraded - 2 sync errors)`,
 * `evaluation: BACKOFF (restart 2/5 in 4s, last error: …)`, `evaluation: STOPPED`.
 */
export function formatStatusLine(status: DaemonStatus, now: number): string {
  const head = `${status.name}: ${status.state.toUpperCase()}`;
  switch (status.state) {
    case "running":
    case "paused": {
      const { health } = status;
      const detail =
        health.status === "healthy" || !health.message
          ? health.status
          : `${health.status} - ${health.message}`;
      return `${head} (${detail})`;
    }
    case "backoff": {
      const wait = Math.max(0, (status.nextRestartAt ?? now) - now);
      const error = status.lastError ? `, last error: ${status.lastError}` : "";
      return `${head} (restart ${status.restartAttempt}/${status.maxRestarts} in ${formatDuration(wait)}${error})`;
    }
    case "failed":
      return status.lastError ? `${head} (${status.lastError})` : head;
    case "waiting":
      return status.waitingOn.length > 0 ? `${head} (on ${status.waitingOn.join(", ")})` : head;
    default:
      return head;
  }
}
