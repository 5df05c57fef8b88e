import type { Clock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { AbortedError, withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import { DoNotRestart } from "../registry/errors.js";
import type { Owner } from "./async-context.js";
import { restartDelay } from "./backoff.js";
import { escapedFrom } from "./containment.js";
import type { CycleState } from "./cycle-state.js";
import type { DaemonSupervisor } from "./daemon.js";
import { heapProbe, heapUsed } from "./heap-watch.js";
import type { Run } from "./run.js";
import { TimerWheel, type TimerWheelHooks } from "./timer-wheel.js";

// The cycles of a periodic daemon (interval or cron): one run's schedule, timeouts and error
// counting. A cycle that fails more than `maxConsecutiveErrors` times in a row fails the run.

/** Starts the schedule: the first cycle at once (interval) or at the next cron time. */
export function startCycles(d: DaemonSupervisor, run: Run): void {
  if (d.spec.interval !== undefined) {
    d.cycling.bindRun(run, wheelOf(d.host.clock));
    tick(d, run);
  } else scheduleCycle(d, run);
}

/**
 * An interval daemon's cycles wait in the timer wheel of its clock (its `CycleState` is the
 * wheel's timer): the daemons whose cycles end in the same millisecond share one timer of the
 * clock (timer-wheel.ts). Each fires as its run's owner (async-context.ts), and what one throws
 * fails that run only.
 */
const cycleHooks: TimerWheelHooks<CycleState> = {
  fire: cycleNow,
  // The next cycle's state and hook: the call that would otherwise wait for both.
  prefetch: (s) => typeof s.cycle === "function",
  failed: (s, error) => escapedFrom(s.owner as Owner, error),
};

/** One wheel per clock, shared by every manager on it. */
const wheels = new WeakMap<Clock, TimerWheel<CycleState>>();

function wheelOf(clock: Clock): TimerWheel<CycleState> {
  let wheel = wheels.get(clock);
  if (!wheel) {
    wheel = new TimerWheel(clock, cycleHooks);
    wheels.set(clock, wheel);
  }
  return wheel;
}

/** Pauses or resumes the cycles of `run` (a cycle due while paused runs on resume). */
export function pauseCycles(run: Run, paused: boolean): void {
  run.paused = paused;
  if (run.wheelTimer?.run === run) run.wheelTimer.paused = paused;
}

/**
 * Schedules the next cycle. An interval daemon's is due `nextCycleDelay` after `from`, the end
 * of the cycle that just finished (the clock when not given).
 */
export function scheduleCycle(d: DaemonSupervisor, run: Run, from?: number): void {
  const { clock } = d.host;
  const s = d.cycling;
  if (s.run === run) {
    scheduleNext(s, from ?? clock.now());
    return;
  }
  const delay = nextCycleDelay(d);
  if (run.cycleTimer) clock.clearTimeout(run.cycleTimer);
  run.cycleTimer = clock.setTimeout(() => tick(d, run), delay);
}

/** The next cycle of the bound interval run, `nextCycleDelay` after `from`. */
function scheduleNext(s: CycleState, from: number): void {
  const delay = s.consecutiveErrors === 0 ? s.interval : nextCycleDelay(s.d);
  (s.wheel as TimerWheel<CycleState>).schedule(s, from + delay, from);
}

/**
 * Runs a cycle now (unless paused or over) and schedules the next when it has ended. `now` is
 * the clock as its caller read it; returns the clock as read at the end of a synchronous cycle.
 */
export function tick(d: DaemonSupervisor, run: Run, now?: number): number | undefined {
  if (run !== d.run || run.ended) return undefined;
  const s = d.cycling;
  if (s.run === run) return cycleNow(s, now);
  if (run.paused) {
    run.tickWhenResumed = true;
    return undefined;
  }
  const outcome = runCycle(d, run, now);
  if (outcome === true) {
    const ended = s.lastEnd;
    scheduleCycle(d, run, ended);
    return ended;
  }
  if (outcome !== false) scheduleWhenSettled(d, run, outcome);
  return undefined;
}

/**
 * A cycle of the interval run bound to `s`, all read from `s` (the timer wheel's batch calls
 * it with its reading of the clock as `now`). The run is live: its end takes its timer out of
 * the wheel. Returns the clock as read at the end of a synchronous cycle, for the next timer of
 * the batch.
 */
function cycleNow(s: CycleState, now: number | undefined): number | undefined {
  if (s.paused) {
    (s.run as Run).tickWhenResumed = true;
    return undefined;
  }
  const started = now ?? s.host.clock.now();
  if (s.timed) {
    const { d } = s;
    const run = s.run as Run;
    scheduleWhenSettled(d, run, runCycleWithTimeout(d, run, started));
    return undefined;
  }
  const { ctx } = s;
  let result: unknown;
  let error: Error | undefined;
  const heapBefore = heapProbe.on ? heapUsed() : 0;
  try {
    // Called as a method of its hooks, as `run.hooks.cycle(ctx)` would be, without reading them.
    result = Reflect.apply(s.cycle as CycleHook, s.hooks, [ctx]);
  } catch (thrown) {
    error = coerceError(thrown);
  } finally {
    if (heapProbe.on) s.d.heapGrowth += heapUsed() - heapBefore;
  }
  if (error === undefined && isThenable(result)) {
    const { d } = s;
    const run = s.run as Run;
    scheduleWhenSettled(d, run, settleCycle(d, run, started, result));
    return undefined;
  }
  // The cycle may have ended its own run (a stop, a failure): another run's context, or none.
  if (s.ctx !== ctx || !countCycle(s, started, error)) return undefined;
  const ended = s.lastEnd;
  if (s.ctx === ctx) scheduleNext(s, ended);
  return ended;
}

/** A cycle that returned a promise: counted when it settles (true to go on), kept as `run.cycle`. */
function settleCycle(
  d: DaemonSupervisor,
  run: Run,
  started: number,
  result: PromiseLike<unknown>,
): Promise<boolean> {
  const cycle = Promise.resolve(result).then(
    () => endCycle(d, run, started, undefined),
    (thrown) => endCycle(d, run, started, coerceError(thrown)),
  );
  run.cycle = cycle;
  return cycle;
}

/** Schedules the next cycle once a cycle still running has settled, if the run goes on. */
function scheduleWhenSettled(d: DaemonSupervisor, run: Run, outcome: Promise<boolean>): void {
  void outcome.then((more) => {
    if (more) scheduleCycle(d, run);
  });
}

type CycleHook = (ctx: unknown) => unknown;

function isThenable(result: unknown): result is PromiseLike<unknown> {
  return (
    result !== null &&
    typeof result === "object" &&
    typeof (result as PromiseLike<unknown>).then === "function"
  );
}

/**
 * The wait before the next cycle. Interval daemons wait `interval` after a cycle ends; after a
 * failed one (with `cycleErrorBackoff`, the default) they wait
 * `max(interval, restart delay for that many consecutive errors)` — with the default restart
 * policy 1 s, 2 s, 4 s, 8 s, then 16 s (`maxDelay`) — and the plain interval again after a
 * success (seed 001's `sleep(min(2 ** errors, 60))`). Cron daemons keep their schedule.
 */
export function nextCycleDelay(d: DaemonSupervisor): number {
  const { interval, cycleErrorBackoff, restart } = d.spec;
  if (interval !== undefined) {
    const errors = d.cycling.consecutiveErrors;
    if (errors === 0 || cycleErrorBackoff === false) return interval;
    return Math.max(interval, restartDelay(restart, errors));
  }
  const next = d.cron?.nextRun(new Date(d.host.clock.now()));
  return next ? Math.max(0, next.getTime() - d.host.clock.now()) : 60_000;
}

/**
 * Runs one cycle (begun at `started`); true to go on, false when the run is over (stopped, or
 * failed by too many errors). Synchronous cycles cost no promise; without a cycleTimeout the cycle sees the run's
 * context and signal as they are.
 */
function runCycle(
  d: DaemonSupervisor,
  run: Run,
  started: number = d.host.clock.now(),
): boolean | Promise<boolean> {
  if (d.spec.cycleTimeout !== undefined) return runCycleWithTimeout(d, run, started);
  let result: unknown;
  const heapBefore = heapProbe.on ? heapUsed() : 0;
  try {
    result = run.hooks.cycle?.(run.ctx);
  } catch (thrown) {
    return endCycle(d, run, started, coerceError(thrown));
  } finally {
    if (heapProbe.on) d.heapGrowth += heapUsed() - heapBefore;
  }
  if (isThenable(result)) return settleCycle(d, run, started, result);
  return endCycle(d, run, started, undefined);
}

/** A cycle with its own signal, aborted when it overruns `cycleTimeout` (hang detection). */
export async function runCycleWithTimeout(
  d: DaemonSupervisor,
  run: Run,
  started: number,
): Promise<boolean> {
  const { clock } = d.host;
  const { spec } = d;
  const cycleAbort = new AbortController();
  const onRunAbort = () => cycleAbort.abort(run.abort.signal.reason);
  run.abort.signal.addEventListener("abort", onRunAbort, { once: true });
  const cycleCtx = run.ctx.forCycle(cycleAbort.signal);
  let error: Error | undefined;
  try {
    const cycle = Promise.resolve().then(() => {
      const heapBefore = heapProbe.on ? heapUsed() : 0;
      try {
        return run.hooks.cycle?.(cycleCtx);
      } finally {
        if (heapProbe.on) d.heapGrowth += heapUsed() - heapBefore;
      }
    });
    run.cycle = cycle;
    const outcome = await withTimeout(clock, cycle, spec.cycleTimeout);
    if (!outcome.ok) {
      cycleAbort.abort(new AbortedError("cycle timed out"));
      error = new Error(
        `cycle timed out after ${formatDuration(spec.cycleTimeout ?? 0)} (cycleTimeout)`,
      );
      cycle.catch(() => {});
      // Given up on: a stop or restart does not wait for it again.
      if (run.cycle === cycle) run.cycle = undefined;
    }
  } catch (thrown) {
    error = coerceError(thrown);
  } finally {
    run.abort.signal.removeEventListener("abort", onRunAbort);
  }
  return endCycle(d, run, started, error);
}

/** Counts a finished cycle of `run` (unless the run is over); true to go on. */
export function endCycle(
  d: DaemonSupervisor,
  run: Run,
  started: number,
  error: Error | undefined,
): boolean {
  if (run !== d.run || run.ended) return false;
  return countCycle(d.cycling, started, error, run);
}

/**
 * Counts a finished cycle of the live run `run` (its end read from the clock now); true to go
 * on. A finished cycle is a heartbeat: the manager writes it through at most every
 * `heartbeatWriteInterval`, and is asked no more often.
 */
function countCycle(
  s: CycleState,
  started: number,
  error: Error | undefined,
  run: Run = s.run as Run,
): boolean {
  const { host } = s;
  const ended = host.clock.now();
  s.cycles++;
  s.lastEnd = ended;
  s.lastDuration = ended - started;
  if (ended >= s.nextBeat && host.onHeartbeat !== undefined) handOnBeat(s, ended);
  if (host.observed("daemon:cycle")) emitCycle(s.d, started, ended, error);
  if (error === undefined) {
    s.consecutiveErrors = 0;
    return true;
  }
  return cycleFailed(s, run, ended, error);
}

function handOnBeat(s: CycleState, ended: number): void {
  const { host } = s;
  const interval = host.heartbeatWriteInterval ?? 0;
  if (s.nextBeat === Number.NEGATIVE_INFINITY && interval > 0) {
    // The first write comes at a random point of the first interval, so a fleet started
    // together spreads its writes over the interval instead of writing every record at once.
    s.nextBeat = ended + Math.random() * interval;
  } else {
    s.nextBeat = ended + interval;
    host.onHeartbeat?.(s.d);
  }
}

function emitCycle(
  d: DaemonSupervisor,
  started: number,
  ended: number,
  error: Error | undefined,
): void {
  d.host.emit("daemon:cycle", {
    name: d.name,
    durationMs: ended - started,
    ok: !error,
    ...(error ? { error: describeError(error) } : {}),
    at: ended,
  });
}

/** A cycle failed: counted, logged, and past `maxConsecutiveErrors` (or DoNotRestart) the run fails. */
function cycleFailed(s: CycleState, run: Run, ended: number, error: Error): boolean {
  const { d } = s;
  const { spec } = d;
  s.cycleErrors++;
  s.consecutiveErrors++;
  d.lastError = describeError(error);
  d.lastErrorAt = ended;
  d.log.warn(`cycle failed (${s.consecutiveErrors} in a row): ${d.lastError}`);
  if (DoNotRestart.is(error)) {
    d.fail(run, error, "cycle");
    return false;
  }
  if (s.consecutiveErrors > spec.maxConsecutiveErrors) {
    d.fail(
      run,
      new Error(
        `${s.consecutiveErrors} consecutive cycle errors (maxConsecutiveErrors ${spec.maxConsecutiveErrors}); last: ${d.lastError}`,
        { cause: error },
      ),
      "cycle",
    );
    return false;
  }
  return true;
}
