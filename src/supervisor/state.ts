import type { DaemonState } from "./types.js";

/**
 * The legal transitions of the daemon state machine (DESIGN.md §4). Anything else is a bug in
 * the supervisor and throws {@link IllegalTransitionError} naming the current state.
 */
export const TRANSITIONS: Readonly<Record<DaemonState, readonly DaemonState[]>> = {
  stopped: ["waiting", "starting", "standby"],
  waiting: ["starting", "stopped", "standby"],
  starting: ["running", "backoff", "failed", "stopping", "stopped"],
  running: ["paused", "stopping", "backoff", "failed", "stopped"],
  paused: ["running", "stopping", "backoff", "failed"],
  backoff: ["starting", "waiting", "stopping", "stopped", "failed", "standby"],
  failed: ["starting", "waiting", "stopped", "standby"],
  stopping: ["stopped", "waiting", "failed", "standby"],
  // A cluster daemon whose lease another node holds (DESIGN.md §8).
  standby: ["starting", "waiting", "stopped"],
};

export class IllegalTransitionError extends Error {
  override name = "IllegalTransitionError";
  constructor(
    readonly daemon: string,
    readonly from: DaemonState,
    readonly to: DaemonState,
  ) {
    super(
      `daemon ${daemon}: illegal transition ${from} → ${to} (allowed from ${from}: ${TRANSITIONS[from].join(", ") || "none"})`,
    );
  }
}

export function canTransition(from: DaemonState, to: DaemonState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(daemon: string, from: DaemonState, to: DaemonState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(daemon, from, to);
}
