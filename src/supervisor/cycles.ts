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
  placeFirstBeat(d.cycling);
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

/** Runs a cycle now (unless paused or over) and schedules the next when it has ended. */
export function tick(d: DaemonSupervisor, run: Run): void {
  if (run !== d.run || run.ended) return;
  const s = d.cycling;
  if (s.run === run) {
    cycleNow(s, s.host.clock.now());
    return;
  }
  if (run.paused) {
    run.tickWhenResumed = true;
    return;
  }
  const outcome = runCycle(d, run);
  if (outcome === true) scheduleCycle(d, run, s.lastEnd);
  else if (outcome !== false) scheduleWhenSettled(d, run, outcome);
}

/**
 * A cycle of the interval run bound to `s`, all read from `s` (the timer wheel's batch calls
 * it with its reading of the clock as `now`). The run is live: its end takes its timer out of
 * the wheel. Returns the clock as read at the end of a synchronous cycle, for the next timer of
 * the batch, and NaN when it did not read it (see `TimerWheelHooks.fire`).
 *
 * Its common case (a synchronous cycle, not paused, no `cycleTimeout`, no heap probe) is kept
 * small: the compiler inlines it into the wheel's batch only while the batch and what it inlines
 * stay within a budget of bytecode, and a call instead cost a heap number per cycle for the time
 * it returns. The rest is in {@link cycleOtherwise}.
 */
function cycleNow(s: CycleState, started: number): number {
  if (s.paused || s.timed || heapProbe.on) return cycleOtherwise(s, started);
  const { binding } = s;
  let result: unknown;
  let error: Error | undefined;
  try {
    // Called as a method of its hooks, as `run.hooks.cycle(ctx)` would be, without reading them.
    result = Reflect.apply(s.cycle as CycleHook, s.hooks, [s.ctx]);
  } catch (thrown) {
    error = coerceError(thrown);
  }
  if (result !== undefined && error === undefined && isThenable(result)) {
    return cycleReturnedPromise(s, started, result);
  }
  // The cycle may have ended its own run (a stop, a failure): another run bound, or none.
  if (s.binding !== binding || !countCycle(s, started, error)) return Number.NaN;
  const ended = s.lastEnd;
  if (s.binding === binding) scheduleNext(s, ended);
  return ended;
}

/**
 * {@link cycleNow} paused, with a `cycleTimeout`, or with the heap probe on. Its last lines repeat
 * cycleNow's on purpose: sharing them as a function made cycleNow, with what it inlines, too big
 * for the wheel's batch to inline (a heap profile of the benchmark: 32 bytes a cycle, not 16).
 */
function cycleOtherwise(s: CycleState, started: number): number {
  if (s.paused) {
    (s.run as Run).tickWhenResumed = true;
    return Number.NaN;
  }
  const { d } = s;
  const run = s.run as Run;
  if (s.timed) {
    scheduleWhenSettled(d, run, runCycleWithTimeout(d, run, started));
    return Number.NaN;
  }
  const { binding } = s;
  let result: unknown;
  let error: Error | undefined;
  const heapBefore = heapUsed();
  try {
    result = run.hooks.cycle?.(run.ctx);
  } catch (thrown) {
    error = coerceError(thrown);
  } finally {
    d.heapGrowth += heapUsed() - heapBefore;
  }
  if (error === undefined && isThenable(result)) return cycleReturnedPromise(s, started, result);
  if (s.binding !== binding || !countCycle(s, started, error)) return Number.NaN;
  const ended = s.lastEnd;
  if (s.binding === binding) scheduleNext(s, ended);
  return ended;
}

/** The bound run's cycle returned a promise: the next is scheduled when it settles. */
function cycleReturnedPromise(
  s: CycleState,
  started: number,
  result: PromiseLike<unknown>,
): number {
  const { d } = s;
  const run = s.run as Run;
  scheduleWhenSettled(d, run, settleCycle(d, run, started, result));
  return Number.NaN;
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
function countCycle(s: CycleState, started: number, error: Error | undefined, run?: Run): boolean {
  const { host } = s;
  const ended = host.clock.now();
  s.cycles++;
  if (s.recordEnd(started, ended) && host.onHeartbeat !== undefined) handOnBeat(s, ended);
  if ((host.listening["daemon:cycle"] ?? 0) > 0) emitCycle(s.d, started, ended, error);
  if (error === undefined) {
    s.consecutiveErrors = 0;
    return true;
  }
  return cycleFailed(s, run ?? (s.run as Run), ended, error);
}

/**
 * The first finished cycle to hand on as a heartbeat comes at a random point of the first
 * `heartbeatWriteInterval`, so a fleet started together spreads its writes over the interval
 * instead of writing every record at once. Placed when the daemon's cycles first start, not by
 * its first cycle: a hand-off is rare on the cycle's path (one in `interval / cycle interval`),
 * and the compiler, judging by how often it was called, keeps it out of the cycle's code.
 */
function placeFirstBeat(s: CycleState): void {
  const interval = s.host.heartbeatWriteInterval ?? 0;
  if (s.nextBeat === Number.NEGATIVE_INFINITY && interval > 0) {
    s.nextBeat = s.host.clock.now() + Math.random() * interval;
  }
}

function handOnBeat(s: CycleState, ended: number): void {
  const { host } = s;
  s.nextBeat = ended + (host.heartbeatWriteInterval ?? 0);
  host.onHeartbeat?.(s.d);
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
