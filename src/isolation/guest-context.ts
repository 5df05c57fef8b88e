import { randomUUID } from "node:crypto";
import { AbortedError } from "../internal/sleep.js";
import type {
  DaemonContext,
  DaemonJobs,
  DaemonStats,
  EventHandler,
  JobContext,
  LogLevel,
  NodeInfo,
} from "../registry/types.js";
import type { Bridge } from "./bridge.js";
import type { LeaseSnapshot } from "./protocol.js";
import type { LeaseView } from "./types.js";

/** What every context of one guest shares: the bridge, the daemon's identity and its state. */
export interface GuestState {
  bridge: Bridge;
  name: string;
  config: Readonly<Record<string, unknown>>;
  node: NodeInfo;
  stats: DaemonStats;
  lease: LeaseSnapshot | undefined;
  /** Handlers of this run's subscriptions, by the number the host knows them by. */
  handlers: Map<number, EventHandler<string>>;
  nextSubscription: number;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

function logger(bridge: Bridge) {
  const log = {} as Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;
  for (const level of LEVELS) {
    log[level] = (message, fields) => bridge.notify("log", { level, message, fields });
  }
  return log;
}

/**
 * A request to the host that also rejects with {@link AbortedError} as soon as `signal` aborts
 * (the host is told to cancel its side), as the inline `sleep` and `monitor` do.
 */
function abortable<T>(bridge: Bridge, op: string, args: unknown, signal?: AbortSignal): Promise<T> {
  if (!signal) return bridge.request<T>(op, args);
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener("abort", onAbort, { once: true });
    bridge.request<T>(op, args, signal).then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function jobsApi(bridge: Bridge): DaemonJobs {
  return {
    launch: (type, payload, options) => bridge.request("jobs.launch", [type, payload, options]),
    launchMany: (type, payloads, options) =>
      bridge.request("jobs.launchMany", [type, payloads, options]),
    monitor: (id, options) => abortable(bridge, "jobs.monitor", [id], options?.signal),
    cancel: (id, reason) => bridge.request("jobs.cancel", [id, reason]),
    get: (id) => bridge.request("jobs.get", [id]),
    list: (filter) => bridge.request("jobs.list", [filter]),
  };
}

function leaseView(state: GuestState): LeaseView {
  const current = () => state.lease;
  return {
    get token() {
      return current()?.token ?? 0;
    },
    get holder() {
      return current()?.holder ?? "";
    },
    get expiresAt() {
      return current()?.expiresAt ?? 0;
    },
    held: () => {
      const lease = current();
      return !!lease && lease.held && lease.expiresAt > Date.now();
    },
    assertHeld() {
      if (!this.held()) throw new Error(`the lease of "${state.name}" is not held`);
    },
  };
}

/**
 * The guest's `ctx`: the same members as inline, each one a note or a request to the host,
 * which performs it on the daemon's real context. Differences a daemon can see:
 * - `events.publish` returns the envelope at once with a locally made id and `seq: 0` (the bus
 *   numbers it on the host); the id is the one the bus uses.
 * - `clock` is the guest's real clock; `sleep` waits on the host's (injected) clock.
 * - `stats` and `lease` are snapshots the host refreshes with every call and sample.
 */
export function guestContext(
  state: GuestState,
  signal: AbortSignal,
): DaemonContext & { lease?: LeaseView } {
  const { bridge } = state;
  const ctx: DaemonContext & { lease?: LeaseView } = {
    name: state.name,
    config: state.config,
    log: logger(bridge),
    signal,
    ready: () => bridge.notify("ready"),
    heartbeat: (details) => bridge.notify("heartbeat", details ?? null),
    sleep: (ms) => abortable(bridge, "sleep", ms, signal),
    events: {
      publish: (type, payload, options) => {
        const id = options?.id ?? randomUUID();
        bridge.notify("publish", { type, payload, id });
        return { id, type, payload, source: state.name, time: Date.now(), seq: 0 } as never;
      },
      subscribe: (type, handler) => {
        if (signal.aborted) return () => {};
        const sub = state.nextSubscription++;
        state.handlers.set(sub, handler as EventHandler<string>);
        bridge.notify("subscribe", { sub, type });
        return () => {
          if (state.handlers.delete(sub)) bridge.notify("unsubscribe", { sub });
        };
      },
    },
    jobs: jobsApi(bridge),
    get stats() {
      return state.stats;
    },
    node: state.node,
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
  };
  if (state.lease) ctx.lease = leaseView(state);
  return ctx;
}

/** A job attempt's `ctx` in the guest: log lines and progress go to the host's job context. */
export function guestJobContext(
  bridge: Bridge,
  job: { id: string; attempt: number },
  signal: AbortSignal,
): JobContext {
  return {
    id: job.id,
    attempt: job.attempt,
    signal,
    log: logger(bridge),
    progress: (percent, message) => bridge.notify("progress", { percent, message }),
  };
}
