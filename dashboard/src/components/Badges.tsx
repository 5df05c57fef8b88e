import { formatDuration, fullTime, relative } from "../format";
import { useNow } from "../hooks";
import type { DaemonState, HealthReport } from "../types";

export function StateBadge({ state }: { state: DaemonState }) {
  return (
    <span class={`state state-${state}`} data-state={state}>
      {state}
    </span>
  );
}

export function HealthBadge({
  health,
  withMessage = true,
}: {
  health: HealthReport;
  withMessage?: boolean;
}) {
  const message = health.message && health.message !== health.status ? health.message : "";
  return (
    <span class="health-cell" title={message || undefined}>
      <span class={`health health-${health.status}`}>{health.status}</span>
      {withMessage && message ? <span class="health-message">{message}</span> : null}
    </span>
  );
}

/** "12s ago" / "in 4s", ticking; the full time as a tooltip. */
export function Ago({ at, empty = "—" }: { at: number | null; empty?: string }) {
  const now = useNow();
  if (at === null) return <span class="muted">{empty}</span>;
  return (
    <time dateTime={new Date(at).toISOString()} title={fullTime(at)}>
      {relative(at, now)}
    </time>
  );
}

/** How long since `since`, ticking. */
export function Uptime({ since }: { since: number }) {
  const now = useNow();
  return <span title={`since ${fullTime(since)}`}>{formatDuration(now - since)}</span>;
}
