import { useEffect, useState } from "preact/hooks";
import { ApiError, getJson } from "../api";
import type { HistoryView } from "../types";

/** How often the charts ask for new samples: the server's sampling interval, within these bounds. */
export const HISTORY_POLL = { min: 1_000, max: 30_000 };

export type HistoryState =
  | { kind: "loading" }
  | { kind: "unavailable"; reason: string }
  | { kind: "ready"; view: HistoryView };

/**
 * The last hour of samples from `/api/history` (only `daemon`'s when given), refetched every
 * sampling interval while the tab is visible. A server without history says so once.
 */
export function useHistory(daemon?: string): HistoryState {
  const [state, setState] = useState<HistoryState>({ kind: "loading" });
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const controller = new AbortController();
    const path = `/api/history${daemon ? `?daemons=${encodeURIComponent(daemon)}` : ""}`;
    const load = async () => {
      let delay: number = HISTORY_POLL.max;
      try {
        if (document.visibilityState !== "hidden") {
          const view = await getJson<HistoryView>(path, controller.signal);
          if (stopped) return;
          setState({ kind: "ready", view });
          delay = Math.min(HISTORY_POLL.max, Math.max(HISTORY_POLL.min, view.interval));
        } else delay = HISTORY_POLL.min;
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.status === 404) {
          setState({ kind: "unavailable", reason: "this manager keeps no history" });
          return;
        }
        setState((s) =>
          s.kind === "ready" ? s : { kind: "unavailable", reason: (error as Error).message },
        );
      }
      if (!stopped) timer = setTimeout(load, delay);
    };
    void load();
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [daemon]);
  return state;
}
