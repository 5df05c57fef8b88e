import { useState } from "preact/hooks";
import { actionsFor, type DaemonAction, runAction } from "../actions";
import type { DaemonState } from "../types";

const LABEL: Record<DaemonAction, string> = {
  start: "Start",
  stop: "Stop",
  restart: "Restart",
  pause: "Pause",
  resume: "Resume",
};

/** Stopping is the action an operator regrets: ask first, naming what else stops. */
function confirmStop(name: string, dependents: readonly string[]): boolean {
  const also =
    dependents.length > 0
      ? ` Its dependents wait until it runs again: ${dependents.join(", ")}.`
      : "";
  return window.confirm(`Stop ${name}?${also}`);
}

/** The action buttons for a daemon in its current state; disabled while one is in flight. */
export function Controls({
  name,
  state,
  all = false,
  dependents = [],
}: {
  name: string;
  state: DaemonState;
  /** Stopping also stops these: the confirmation names them. */
  dependents?: readonly string[];
  /** Show every action (the daemon page), not only the ones that fit the state. */
  all?: boolean;
}) {
  const [busy, setBusy] = useState<DaemonAction | null>(null);
  const fitting = actionsFor(state);
  // A row keeps to two (pause, and restarting a paused daemon, are on the daemon's page).
  const shown: DaemonAction[] = all
    ? ["start", "stop", "restart", "pause", "resume"]
    : fitting.filter((a) => a !== "pause" && !(state === "paused" && a === "restart"));
  const run = async (action: DaemonAction) => {
    if (action === "stop" && !confirmStop(name, dependents)) return;
    setBusy(action);
    try {
      await runAction(name, action);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div class="controls">
      {shown.map((action) => (
        <button
          key={action}
          type="button"
          class={`action action-${action}`}
          disabled={busy !== null || (all && !fitting.includes(action))}
          aria-label={`${LABEL[action]} ${name}`}
          title={`${LABEL[action]} ${name}`}
          onClick={() => run(action)}
        >
          {busy === action ? `${LABEL[action]}…` : LABEL[action]}
        </button>
      ))}
    </div>
  );
}
