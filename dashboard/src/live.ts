import { getJson, getProbe } from "./api";
import type {
  DaemonStatus,
  DeadLetter,
  EventEnvelope,
  HealthReport,
  JobUpdate,
  ProbeReport,
  StateChange,
  StreamLog,
} from "./types";

/** How the page keeps itself current; durations in ms. */
export const LIVE_DEFAULTS = {
  /** A daemon's status is refetched this long after its last state event (coalesces bursts). */
  statusRefetchDelay: 150,
  /** More daemons than this changing at once are refetched with one list request. */
  refetchOneByOneUpTo: 8,
  /** The probes are refetched this long after a state event. */
  probeRefetchDelay: 400,
  /** Everything is refetched this often while the tab is visible: heartbeats and cycles have no stream entries. */
  fullRefreshInterval: 10_000,
  /** Liveness and readiness are polled this often. */
  probeInterval: 5_000,
  /** Recent events kept in memory. */
  eventsKept: 200,
};

/** The stream's payloads, by entry type (see src/http/stream.ts). */
export interface StreamPayloads {
  state: StateChange;
  health: { name: string; health: HealthReport; previous: HealthReport };
  log: StreamLog;
  restart: { name: string; attempt: number; delayMs: number; at: number; error: string };
  failed: { name: string; error: string; at: number };
  event: EventEnvelope;
  "dead-letter": DeadLetter;
  job: JobUpdate;
  manager: { phase: string; at?: number };
  gap: { reason: string; from: number; to: number };
}
export type StreamType = keyof StreamPayloads;
/**
 * What the page's stream carries. Log lines are the bulk of the traffic, so they are not here: a
 * daemon's page opens its own stream of that daemon's logs (see {@link openLogStream}).
 */
const STREAM_TYPES: StreamType[] = [
  "state",
  "health",
  "restart",
  "failed",
  "event",
  "dead-letter",
  "job",
  "manager",
  "gap",
];

export type Connection = "connecting" | "live" | "reconnecting";

/**
 * What the whole page shares: every daemon's status (one object per daemon, replaced when it
 * changes so unchanged rows are skipped), the probes, the connection, recent events; and a
 * fan-out of raw stream entries for the views that want them (logs, jobs, transitions).
 * One EventSource for the page; the browser resumes it with Last-Event-ID.
 */
export class Live {
  daemons = new Map<string, DaemonStatus>();
  /** Names in the manager's order. */
  names: string[] = [];
  loaded = false;
  loadError: string | null = null;
  liveness: ProbeReport | null = null;
  readiness: ProbeReport | null = null;
  connection: Connection = "connecting";
  events: EventEnvelope[] = [];
  /** Bumped when any daemon's status changes; views pick what they compare (see useLive). */
  daemonsVersion = 0;

  private listeners = new Set<() => void>();
  private streamListeners = new Map<StreamType, Set<(data: never) => void>>();
  private refetchNames = new Set<string>();
  private refetchTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private notifyQueued = false;

  /** Loads everything, opens the stream and starts the timers. */
  start(): void {
    void this.refreshAll();
    void this.refreshProbes();
    void this.refreshEvents();
    this.connect();
    setInterval(() => {
      if (document.visibilityState === "visible") void this.refreshAll();
    }, LIVE_DEFAULTS.fullRefreshInterval);
    setInterval(() => {
      if (document.visibilityState === "visible") void this.refreshProbes();
    }, LIVE_DEFAULTS.probeInterval);
  }

  /** Re-renders subscribers once per task, however many entries arrived. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Raw stream entries of one type. */
  on<K extends StreamType>(type: K, listener: (data: StreamPayloads[K]) => void): () => void {
    let set = this.streamListeners.get(type);
    if (!set) {
      set = new Set();
      this.streamListeners.set(type, set);
    }
    const fn = listener as (data: never) => void;
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Replaces one daemon's status (an action's answer, a refetch). */
  put(status: DaemonStatus): void {
    if (!this.daemons.has(status.name)) this.names = [...this.names, status.name];
    this.daemons.set(status.name, status);
    this.daemonsVersion++;
    this.changed();
  }

  async refreshAll(): Promise<void> {
    try {
      const all = await getJson<DaemonStatus[]>("/api/daemons");
      const next = new Map<string, DaemonStatus>();
      for (const s of all) {
        const old = this.daemons.get(s.name);
        // Keep the old object when nothing changed, so its row is not redrawn.
        next.set(s.name, old && JSON.stringify(old) === JSON.stringify(s) ? old : s);
      }
      this.daemons = next;
      this.names = all.map((s) => s.name);
      this.loaded = true;
      this.loadError = null;
      this.daemonsVersion++;
    } catch (error) {
      this.loadError = (error as Error).message;
    }
    this.changed();
  }

  async refreshProbes(): Promise<void> {
    try {
      const [liveness, readiness] = await Promise.all([
        getProbe<ProbeReport>("/health"),
        getProbe<ProbeReport>("/ready"),
      ]);
      this.liveness = liveness;
      this.readiness = readiness;
    } catch (error) {
      const reasons = [(error as Error).message];
      this.liveness = { ok: false, reasons };
      this.readiness = { ok: false, reasons };
    }
    this.changed();
  }

  async refreshEvents(): Promise<void> {
    try {
      const recent = await getJson<EventEnvelope[]>(
        `/api/events?limit=${LIVE_DEFAULTS.eventsKept}`,
      );
      this.events = recent.reverse();
      this.changed();
    } catch {}
  }

  private connect(): void {
    // `gap` is not asked for: the server always sends it.
    const asked = STREAM_TYPES.filter((t) => t !== "gap").join(",");
    const source = new EventSource(`/api/stream?types=${asked}`);
    let dropped = false;
    source.onopen = () => {
      this.connection = "live";
      // After a drop, the replay covers what is kept; a full refresh covers the rest.
      if (dropped) {
        void this.refreshAll();
        void this.refreshProbes();
      }
      this.changed();
    };
    source.onerror = () => {
      dropped = true;
      this.connection = source.readyState === EventSource.CLOSED ? "connecting" : "reconnecting";
      this.changed();
      if (source.readyState === EventSource.CLOSED) setTimeout(() => this.connect(), 2_000);
    };
    for (const type of STREAM_TYPES) {
      source.addEventListener(type, (message) => {
        let data: unknown;
        try {
          data = JSON.parse((message as MessageEvent<string>).data);
        } catch {
          return;
        }
        this.apply(type, data as never);
        const set = this.streamListeners.get(type);
        if (set) for (const listener of set) listener(data as never);
      });
    }
  }

  /** Applies a stream entry to the shared state: in place, without refetching the fleet. */
  private apply<K extends StreamType>(type: K, data: StreamPayloads[K]): void {
    switch (type) {
      case "state": {
        const change = data as StreamPayloads["state"];
        this.patch(change.name, { state: change.to, ready: change.to === "running" });
        this.refetchSoon(change.name);
        this.probesSoon();
        break;
      }
      case "health": {
        const h = data as StreamPayloads["health"];
        this.patch(h.name, { health: h.health });
        break;
      }
      case "restart": {
        const r = data as StreamPayloads["restart"];
        this.patch(r.name, {
          restartAttempt: r.attempt,
          nextRestartAt: r.at + r.delayMs,
          lastError: r.error,
          lastErrorAt: r.at,
        });
        break;
      }
      case "failed": {
        const f = data as StreamPayloads["failed"];
        this.patch(f.name, { lastError: f.error, lastErrorAt: f.at });
        break;
      }
      case "event": {
        this.events = [data as EventEnvelope, ...this.events].slice(0, LIVE_DEFAULTS.eventsKept);
        this.changed();
        break;
      }
      case "manager":
      case "gap":
        void this.refreshAll();
        void this.refreshProbes();
        break;
    }
  }

  private patch(name: string, fields: Partial<DaemonStatus>): void {
    const old = this.daemons.get(name);
    if (!old) {
      this.refetchSoon(name);
      return;
    }
    this.daemons.set(name, { ...old, ...fields });
    this.daemonsVersion++;
    this.changed();
  }

  /**
   * Refetches a daemon's status shortly: the state events of one restart (stopping, stopped,
   * starting, running) make one request; when many daemons change at once, one list request.
   */
  private refetchSoon(name: string): void {
    this.refetchNames.add(name);
    if (this.refetchTimer) clearTimeout(this.refetchTimer);
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = undefined;
      const names = [...this.refetchNames];
      this.refetchNames.clear();
      if (names.length > LIVE_DEFAULTS.refetchOneByOneUpTo) {
        void this.refreshAll();
        return;
      }
      for (const n of names) void this.refetchOne(n);
    }, LIVE_DEFAULTS.statusRefetchDelay);
  }

  private async refetchOne(name: string): Promise<void> {
    try {
      const detail = await getJson<DaemonStatus & Record<string, unknown>>(
        `/api/daemons/${encodeURIComponent(name)}`,
      );
      const { options: _o, config: _c, transitions: _t, ...status } = detail;
      this.put(status as DaemonStatus);
    } catch {}
  }

  private probesSoon(): void {
    if (this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.refreshProbes();
    }, LIVE_DEFAULTS.probeRefetchDelay);
  }

  /** Tells subscribers once per frame, however many entries arrived in it. */
  private changed(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    requestAnimationFrame(() => {
      this.notifyQueued = false;
      for (const listener of this.listeners) listener();
    });
  }
}

export const live = new Live();

/** A stream of one daemon's log lines, for as long as its page is open. Returns the close. */
export function openLogStream(name: string, onLine: (line: StreamLog) => void): () => void {
  const source = new EventSource(`/api/stream?types=log&daemon=${encodeURIComponent(name)}`);
  source.addEventListener("log", (message) => {
    try {
      onLine(JSON.parse((message as MessageEvent<string>).data) as StreamLog);
    } catch {}
  });
  return () => source.close();
}
