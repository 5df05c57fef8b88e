import { useEffect, useState } from "preact/hooks";
import { type Live, live } from "./live";

/**
 * Re-renders when `pick(live)` changes (compared with Object.is), at most once per frame. Views
 * pick the slice they draw: `l => l.daemonsVersion`, `l => l.events`, `l => l.connection`.
 */
export function useLive<T>(pick: (l: Live) => T): T {
  const [value, setValue] = useState(() => pick(live));
  useEffect(() => {
    setValue(() => pick(live));
    return live.subscribe(() => setValue(() => pick(live)));
    // The picker is fixed per call site: subscribe once.
  }, []);
  return value;
}

type NowListener = (now: number) => void;
const nowListeners = new Set<NowListener>();
let ticker: ReturnType<typeof setInterval> | undefined;

/**
 * The current time, ticking every second: one shared timer, and only the components that show a
 * relative time re-render on each tick.
 */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    nowListeners.add(setNow);
    ticker ??= setInterval(() => {
      const t = Date.now();
      for (const listener of nowListeners) listener(t);
    }, 1000);
    return () => {
      nowListeners.delete(setNow);
      if (nowListeners.size === 0 && ticker) {
        clearInterval(ticker);
        ticker = undefined;
      }
    };
  }, []);
  return now;
}

export type Route =
  | { page: "daemons" }
  | { page: "graph" }
  | { page: "jobs" }
  | { page: "events" }
  | { page: "nodes" }
  | { page: "daemon"; name: string };

/** Hash routes: `#/`, `#/graph`, `#/jobs`, `#/events`, `#/nodes`, `#/daemon/<name>`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "");
  const daemon = /^\/daemon\/(.+)$/.exec(path);
  if (daemon?.[1]) return { page: "daemon", name: decodeURIComponent(daemon[1]) };
  if (path === "/graph") return { page: "graph" };
  if (path === "/jobs") return { page: "jobs" };
  if (path === "/events") return { page: "events" };
  if (path === "/nodes") return { page: "nodes" };
  return { page: "daemons" };
}

export const daemonHref = (name: string) => `#/daemon/${encodeURIComponent(name)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
