import type { DaemonHooks, DaemonStats } from "../registry/types.js";
import type { RunContext } from "./context.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { SupervisorHost } from "./host.js";
import type { Run } from "./run.js";
import { type TimerWheel, WheelTimer } from "./timer-wheel.js";

// What a cycle of a periodic daemon reads and writes, in one object per daemon (issue 17): its
// counters, its times, its heartbeat gate, and, while an interval daemon runs, its timer in the
// wheel and what the cycle calls. A fleet of 10,000 daemons at 100 ms touches each daemon once
// per 100 ms, long after its objects have left the CPU's caches: every further object a cycle
// reads (the run, the supervisor, the spec, the stats) was one more miss, and a cycle cost ~1 µs.
// The times live in one Float64Array for every daemon, written in place: a field that starts
// out `null` holds a heap number, allocated (with a write barrier) on every store, and a double
// field is a box of its own elsewhere in the heap, one more cache line.

type CycleHook = (ctx: unknown) => unknown;

/** A daemon's slot in {@link times}: its last cycle's end, its duration, its next heartbeat gate. */
const LAST_END = 0;
const LAST_DURATION = 1;
const NEXT_BEAT = 2;
const SLOT_SIZE = 4;

/**
 * Every daemon's cycle times, `SLOT_SIZE` doubles each (32 bytes: two daemons a cache line; the
 * daemons of a batch, mostly in the order they were made, read neighbouring lines). A slot is
 * taken when a daemon's supervisor is made and given back when it is collected.
 */
const times = { f64: new Float64Array(SLOT_SIZE * 256), used: 0, free: [] as number[] };
const slots = new FinalizationRegistry<number>((slot) => times.free.push(slot));

function takeSlot(holder: object): number {
  let slot = times.free.pop();
  if (slot === undefined) {
    slot = times.used;
    times.used += SLOT_SIZE;
    if (times.used > times.f64.length) {
      const grown = new Float64Array(times.f64.length * 2);
      grown.set(times.f64);
      times.f64 = grown;
    }
  }
  const { f64 } = times;
  f64[slot + LAST_END] = Number.NaN;
  f64[slot + LAST_DURATION] = Number.NaN;
  f64[slot + NEXT_BEAT] = Number.NEGATIVE_INFINITY;
  slots.register(holder, slot);
  return slot;
}

/** A daemon's cycle counters and times, and an interval daemon's timer in its clock's wheel. */
export class CycleState extends WheelTimer {
  // The fields a cycle reads come first, together (after the wheel's owner, bucket and index):
  // the object spans three cache lines, and a cycle touches the first two.
  /** Of the interval run bound to the wheel ({@link bindRun}); undefined otherwise. */
  cycle: CycleHook | undefined = undefined;
  hooks: DaemonHooks<unknown> | undefined = undefined;
  /** The bound run's context. */
  ctx: RunContext | undefined = undefined;
  /**
   * Counts the runs bound and released: a cycle that finds another count here when it returns
   * has ended its run (a number, compared without reading the objects it would take to tell
   * runs apart, which a fleet's cycle would find cold in the cache).
   */
  binding = 0;
  /** Mirrors `run.paused` of the bound run. */
  paused = false;
  /** The run's spec has a `cycleTimeout` (each cycle gets a signal of its own). */
  timed = false;
  interval = 0;
  consecutiveErrors = 0;
  cycles = 0;
  /** Where its times are in {@link times}. */
  private readonly slot: number;
  wheel: TimerWheel<CycleState> | undefined = undefined;
  readonly host: SupervisorHost;
  run: Run | undefined = undefined;
  cycleErrors = 0;
  /** The last `ctx.heartbeat`, and how many cycles had ended by then (see {@link lastBeatAt}). */
  private beatAt: number | null = null;
  private beatAfterCycles = 0;
  private view: DaemonStats | undefined = undefined;

  constructor(readonly d: DaemonSupervisor) {
    super();
    this.host = d.host;
    this.slot = takeSlot(this);
  }

  /** The last cycle's end (`lastCycleAt` once `cycles > 0`). */
  get lastEnd(): number {
    return times.f64[this.slot + LAST_END] as number;
  }

  /** The last cycle's duration (`lastCycleDurationMs` once `cycles > 0`). */
  get lastDuration(): number {
    return times.f64[this.slot + LAST_DURATION] as number;
  }

  /**
   * A cycle begun at `started` ended at `ended`; true when it is due to be handed on as a
   * heartbeat ({@link nextBeat}). One call where the accessors would be three: each is inlined
   * into the cycle's code separately, and what the compiler's budget for inlining into the
   * wheel's batch does not take is called, passing its times as heap numbers, on every cycle.
   */
  recordEnd(started: number, ended: number): boolean {
    const { f64 } = times;
    const at = this.slot;
    f64[at + LAST_END] = ended;
    f64[at + LAST_DURATION] = ended - started;
    return ended >= (f64[at + NEXT_BEAT] as number);
  }

  /** When a finished cycle may next be handed on as a heartbeat to write; -∞: not yet placed. */
  get nextBeat(): number {
    return times.f64[this.slot + NEXT_BEAT] as number;
  }
  set nextBeat(at: number) {
    times.f64[this.slot + NEXT_BEAT] = at;
  }

  /** The `DaemonStats` of this daemon: a live view, made on first use. */
  get stats(): DaemonStats {
    this.view ??= new StatsView(this) as unknown as DaemonStats;
    return this.view;
  }

  get lastCycleAt(): number | null {
    return this.cycles > 0 ? this.lastEnd : null;
  }

  get lastCycleDurationMs(): number | null {
    return this.cycles > 0 ? this.lastDuration : null;
  }

  /**
   * When the daemon last beat: a finished cycle is a heartbeat, so the last cycle's end if one
   * ended since its last `ctx.heartbeat`, else that beat (a cycle writes nothing for it).
   */
  get lastBeatAt(): number | null {
    return this.cycles > this.beatAfterCycles ? this.lastEnd : this.beatAt;
  }

  /** The daemon beat at `at` (`ctx.heartbeat`). */
  beat(at: number): void {
    this.beatAt = at;
    this.beatAfterCycles = this.cycles;
  }

  /** Binds the interval run `run` to the wheel: its cycles read it from here. */
  bindRun(run: Run, wheel: TimerWheel<CycleState>): void {
    const { spec } = this.d;
    this.run = run;
    this.owner = run.owner;
    this.hooks = run.hooks;
    this.cycle = run.hooks.cycle as CycleHook | undefined;
    this.ctx = run.ctx;
    this.interval = spec.interval ?? 0;
    this.timed = spec.cycleTimeout !== undefined;
    this.paused = run.paused;
    this.wheel = wheel;
    this.binding++;
    run.wheelTimer = this;
  }

  /** The run is over: its timer leaves the wheel and nothing of it is kept (its owner stays, for what escapes it later). */
  release(run: Run): void {
    if (this.run !== run) return;
    this.wheel?.cancel(this);
    this.run = undefined;
    this.hooks = undefined;
    this.cycle = undefined;
    this.ctx = undefined;
    this.paused = false;
    this.binding++;
  }
}

/**
 * `ctx.stats` and the supervisor's `stats`: its fields are own enumerable getters (shared by
 * every view), so `{ ...ctx.stats }` and `JSON.stringify` see them as before.
 */
class StatsView {
  declare readonly state: CycleState;
  constructor(state: CycleState) {
    Object.defineProperty(this, "state", { value: state });
    Object.defineProperties(this, STATS_FIELDS);
  }
}

const STATS_FIELDS: PropertyDescriptorMap = {
  cycles: { enumerable: true, get: getCycles },
  cycleErrors: { enumerable: true, get: getCycleErrors },
  consecutiveErrors: { enumerable: true, get: getConsecutiveErrors },
  lastCycleAt: { enumerable: true, get: getLastCycleAt },
  lastCycleDurationMs: { enumerable: true, get: getLastCycleDurationMs },
};

function getCycles(this: StatsView): number {
  return this.state.cycles;
}
function getCycleErrors(this: StatsView): number {
  return this.state.cycleErrors;
}
function getConsecutiveErrors(this: StatsView): number {
  return this.state.consecutiveErrors;
}
function getLastCycleAt(this: StatsView): number | null {
  return this.state.lastCycleAt;
}
function getLastCycleDurationMs(this: StatsView): number | null {
  return this.state.lastCycleDurationMs;
}
