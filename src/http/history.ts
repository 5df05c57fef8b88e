import type { Clock, TimerHandle } from "../internal/clock.js";
import { HOUR, SECOND } from "../registry/duration.js";
import type { DaemonState } from "../supervisor/types.js";

/** How much history the dashboard's charts get: a sample every 10 s for the last hour. */
export const HISTORY_DEFAULTS = {
  interval: 10 * SECOND,
  span: 1 * HOUR,
  /** State changes kept per daemon (a daemon flapping faster than this loses its oldest). */
  changesPerDaemon: 720,
};

/**
 * What the manager measures, read at each sample: counters are totals since the manager began
 * (the ring turns them into per-interval figures), gauges are the value now.
 */
export interface HistoryReading {
  at: number;
  daemons: ReadonlyArray<{
    name: string;
    state: DaemonState;
    /** Totals. */
    cycles: number;
    cycleErrors: number;
    restarts: number;
    lastCycleDurationMs: number | null;
  }>;
  /** Totals of events published and delivered. */
  events: { published: number; delivered: number };
  /** Gauge: dead letters held now. */
  deadLetters: number;
  /** Totals of jobs that reached each status (`succeeded`, `failed`, …). */
  jobs: Readonly<Record<string, number>>;
}

/** `GET /api/history`: columns over the same timestamps (`t`, epoch ms), oldest first. */
export interface HistoryView {
  interval: number;
  span: number;
  t: number[];
  fleet: {
    /** Restarts in each interval. */
    restarts: Array<number | null>;
    eventsPerSec: Array<number | null>;
    deadLetters: number[];
    /** Jobs reaching each status per second. */
    jobsPerSec: Record<string, Array<number | null>>;
  };
  daemons: Record<
    string,
    {
      /** The duration of the last cycle finished in each interval; null when none finished. */
      cycleMs: Array<number | null>;
      /** Cycle errors in each interval. */
      errors: Array<number | null>;
      /** Every state change within the span, oldest first, after the state held at its start. */
      states: Array<{ at: number; state: DaemonState }>;
    }
  >;
}

export interface History {
  /** Takes one sample; a reading older than the last one is ignored. */
  record(reading: HistoryReading): void;
  /** Notes a state change the moment it happens (samples alone would miss a short backoff). */
  recordState(name: string, state: DaemonState, at: number): void;
  /** The last `span`, optionally of some daemons only. */
  view(options?: { daemons?: readonly string[] }): HistoryView;
}

/** A fixed-size ring of numbers (NaN for "no value"): memory is allocated once. */
class Column {
  private readonly values: Float64Array;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity).fill(Number.NaN);
  }
  set(slot: number, value: number | null): void {
    this.values[slot] = value ?? Number.NaN;
  }
  get(slot: number): number | null {
    const v = this.values[slot] as number;
    return Number.isNaN(v) ? null : v;
  }
}

interface DaemonColumns {
  cycleMs: Column;
  errors: Column;
  /** The reading of the previous sample, for per-interval figures. */
  previous: { cycles: number; cycleErrors: number; restarts: number } | undefined;
  /** A ring of state changes. */
  states: Array<{ at: number; state: DaemonState }>;
}

/**
 * The history behind the dashboard's charts: a bounded ring of `span / interval` samples (360 by
 * default) whose memory is fixed once every daemon and job status has been seen, so a page opened
 * late still sees the last hour. It computes nothing itself: a sampler (see
 * {@link startHistorySampler}) feeds it what the manager already counts.
 */
export function createHistory(options: Partial<typeof HISTORY_DEFAULTS> = {}): History {
  const { interval, span, changesPerDaemon } = { ...HISTORY_DEFAULTS, ...options };
  const capacity = Math.max(2, Math.ceil(span / interval));
  const times = new Column(capacity);
  const restarts = new Column(capacity);
  const eventsPerSec = new Column(capacity);
  const deadLetters = new Column(capacity);
  const jobs = new Map<string, Column>();
  const daemons = new Map<string, DaemonColumns>();
  let count = 0;
  let last: HistoryReading | undefined;

  const daemon = (name: string): DaemonColumns => {
    let d = daemons.get(name);
    if (!d) {
      d = {
        cycleMs: new Column(capacity),
        errors: new Column(capacity),
        previous: undefined,
        states: [],
      };
      daemons.set(name, d);
    }
    return d;
  };
  const jobColumn = (status: string): Column => {
    let c = jobs.get(status);
    if (!c) {
      c = new Column(capacity);
      jobs.set(status, c);
    }
    return c;
  };
  const noteState = (d: DaemonColumns, state: DaemonState, at: number) => {
    const latest = d.states[d.states.length - 1];
    if (latest?.state === state) return;
    d.states.push({ at, state });
    if (d.states.length > changesPerDaemon) d.states.shift();
  };

  return {
    record(reading) {
      if (last && reading.at <= last.at) return;
      const slot = count % capacity;
      const seconds = last ? (reading.at - last.at) / SECOND : 0;
      const perSecond = (now: number, before: number | undefined) =>
        before === undefined || seconds <= 0 ? null : Math.max(0, now - before) / seconds;
      times.set(slot, reading.at);
      eventsPerSec.set(slot, perSecond(reading.events.published, last?.events.published));
      deadLetters.set(slot, reading.deadLetters);
      for (const status of new Set([...Object.keys(reading.jobs), ...jobs.keys()]))
        jobColumn(status).set(
          slot,
          perSecond(reading.jobs[status] ?? 0, last?.jobs[status] ?? (last ? 0 : undefined)),
        );
      let restartsNow = 0;
      for (const r of reading.daemons) {
        const d = daemon(r.name);
        const cycled = d.previous === undefined || r.cycles > d.previous.cycles;
        d.cycleMs.set(slot, cycled ? r.lastCycleDurationMs : null);
        d.errors.set(slot, d.previous ? Math.max(0, r.cycleErrors - d.previous.cycleErrors) : null);
        if (d.previous) restartsNow += Math.max(0, r.restarts - d.previous.restarts);
        d.previous = { cycles: r.cycles, cycleErrors: r.cycleErrors, restarts: r.restarts };
        noteState(d, r.state, reading.at);
      }
      restarts.set(slot, last === undefined ? null : restartsNow);
      count += 1;
      last = reading;
    },
    recordState(name, state, at) {
      noteState(daemon(name), state, at);
    },
    view(options = {}) {
      const n = Math.min(count, capacity);
      const slots = Array.from({ length: n }, (_, i) => (count - n + i) % capacity);
      const column = (c: Column) => slots.map((s) => c.get(s));
      const t = column(times) as number[];
      const from = t[0] ?? Number.POSITIVE_INFINITY;
      const wanted = options.daemons ? new Set(options.daemons) : undefined;
      const shown: HistoryView["daemons"] = {};
      for (const [name, d] of daemons) {
        if (wanted && !wanted.has(name)) continue;
        // The state held when the span began, then every change within it.
        const before = d.states.filter((s) => s.at <= from).pop();
        const within = d.states.filter((s) => s.at > from);
        shown[name] = {
          cycleMs: column(d.cycleMs),
          errors: column(d.errors),
          states: before ? [{ at: from, state: before.state }, ...within] : within,
        };
      }
      return {
        interval,
        span,
        t,
        fleet: {
          restarts: column(restarts),
          eventsPerSec: column(eventsPerSec),
          deadLetters: column(deadLetters).map((v) => v ?? 0),
          jobsPerSec: Object.fromEntries([...jobs].map(([status, c]) => [status, column(c)])),
        },
        daemons: shown,
      };
    },
  };
}

/**
 * Samples `read()` into `history` every `interval` on `clock`, the first sample at once; returns a
 * stop function. A reading that throws is skipped (the next one tries again).
 */
export function startHistorySampler(
  history: History,
  read: () => HistoryReading,
  clock: Clock,
  interval: number = HISTORY_DEFAULTS.interval,
): () => void {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    try {
      history.record(read());
    } catch {
      // A reading that fails leaves a gap; the chart shows it as one.
    }
    timer = clock.setTimeout(tick, interval);
  };
  tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  };
}
