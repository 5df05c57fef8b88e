import { ApiError, post } from "./api";
import { live } from "./live";
import { notify } from "./notices";
import type { DaemonState, DaemonStatus } from "./types";

export type DaemonAction = "start" | "stop" | "restart" | "pause" | "resume";

const PAST: Record<DaemonAction, string> = {
  start: "started",
  stop: "stopped",
  restart: "restarted",
  pause: "paused",
  resume: "resumed",
};

/** The actions that make sense in a state (the server still has the last word). */
export function actionsFor(state: DaemonState): DaemonAction[] {
  switch (state) {
    case "running":
      return ["restart", "pause", "stop"];
    case "paused":
      return ["resume", "restart", "stop"];
    case "starting":
    case "waiting":
    case "backoff":
      return ["restart", "stop"];
    case "stopping":
      return [];
    case "standby":
      // Another node holds the lease: stopping here takes this node out of the candidates.
      return ["stop"];
    case "stopped":
    case "failed":
      return ["start"];
  }
}

/** Why an action did not happen, in the server's words. */
export function refusal(error: unknown): string {
  if (error instanceof ApiError) {
    const why = error.status === 401 ? "refused" : `refused (${error.status})`;
    return `${why}: ${error.message}`;
  }
  return `failed: ${(error as Error).message}`;
}

/** POSTs the action (asking for the token if needed), applies the answer and says what happened. */
export async function runAction(name: string, action: DaemonAction): Promise<boolean> {
  try {
    const status = await post<DaemonStatus>(`/api/daemons/${encodeURIComponent(name)}/${action}`);
    live.put(status);
    notify("ok", `${name} ${PAST[action]}`);
    return true;
  } catch (error) {
    notify("error", `${action} ${name} ${refusal(error)}`);
    return false;
  }
}

/**
 * Asks the whole manager to shut down (POST /api/shutdown), after the operator confirms: it stops
 * every daemon, dependents first, and the process exits.
 */
export async function shutDownManager(): Promise<boolean> {
  const count = live.daemons.size;
  if (!window.confirm(`Shut the manager down? All ${count} daemons stop and the process exits.`))
    return false;
  try {
    await post<{ shuttingDown: boolean }>("/api/shutdown");
    notify("ok", "the manager is shutting down");
    return true;
  } catch (error) {
    notify("error", `shutdown ${refusal(error)}`);
    return false;
  }
}
