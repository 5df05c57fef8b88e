import type { Clock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { AbortedError, withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import { DoNotRestart } from "../registry/errors.js";
import { switchOwner } from "./async-context.js";
import { restartDelay } from "./backoff.js";
import { escapedFrom } from "./containment.js";
import type { DaemonSupervisor } from "./daemon.js";
import { heapProbe, heapUsed } from "./heap-watch.js";
import type { Run } from "./run.js";
import { TimerWheel, type TimerWheelHooks, WheelTimer } from "./timer-wheel.js";

// The cycles of a periodic daemon (interval or cron): one run's schedule, timeouts and error
// counting. A cycle that fails more than `maxConsecutiveErrors` times in a row fails the run.

/** Starts the schedule: the first cycle at once (interval) or at the next cron time. */
export function startCycles(d: DaemonSupervisor, run: Run): void {
  if (d.spec.interval !== undefined) tick(d, run);
  else scheduleCycle(d, run);
}

/**
 * An interval daemon's cycle timer, in the timer wheel of its clock: the daemons whose cycles
 * end in the same millisecond share one timer of the clock (timer-wheel.ts). Each fires as its
 * run's owner (async-context.ts), and what one throws fails that run only.
 */
export class CycleTimer extends WheelTimer {
  /**
   * What a cycle reads of the spec besides its hook, kept here for the run (its spec does not
   * change while it runs): the spec is a large object over several cache lines, and each of its
   * fields read was one more cache miss per cycle of a fleet whose 10,000 daemons are each
   * touched once per 100 ms.
   */
  readonly interval: number;
  readonly timed: boolean;

  constructor(
    readonly wheel: TimerWheel<CycleTimer>,
    readonly d: DaemonSupervisor,
    readonly run: Run,
  ) {
    super();
    this.interval = d.spec.interval ?? 0;
    this.timed = d.spec.cycleTimeout !== undefined;
  }

  cancel(): void {
    this.wheel.cancel(this);
  }
}

const cycleHooks: TimerWheelHooks<CycleTimer> = {
  fire: (timer, now) => {
    switchOwner(timer.run.owner);
    return tick(timer.d, timer.run, now);
  },
  failed: (timer, error) => escapedFrom(timer.run.owner, error),
};

/** One wheel per clock, shared by every manager on it. */
const wheels = new WeakMap<Clock, TimerWheel<CycleTimer>>();

function wheelOf(clock: Clock): TimerWheel<CycleTimer> {
  let wheel = wheels.get(clock);
  if (!wheel) {
    wheel = new TimerWheel(clock, cycleHooks);
    wheels.set(clock, wheel);
  }
  return wheel;
}

/**
 * Schedules the next cycle. An interval daemon's is due `nextCycleDelay` after `from`, the end
 * of the cycle that just finished (read by endCycle; the clock when not given).
 */
export function scheduleCycle(d: DaemonSupervisor, run: Run, from?: number): void {
  const { clock } = d.host;
  const timer = run.wheelTimer;
  if (timer !== undefined || d.spec.interval !== undefined) {
    const wheelTimer = timer ?? new CycleTimer(wheelOf(clock), d, run);
    run.wheelTimer = wheelTimer;
    const delay = d.stats.consecutiveErrors === 0 ? wheelTimer.interval : nextCycleDelay(d);
    const now = from ?? clock.now();
    wheelTimer.wheel.schedule(wheelTimer, now + delay, now);
    return;
  }
  const delay = nextCycleDelay(d);
  if (run.cycleTimer) clock.clearTimeout(run.cycleTimer);
  run.cycleTimer = clock.setTimeout(() => tick(d, run), delay);
}

/**
 * Runs a cycle now (unless paused or over) and schedules the next when it has ended. `now` is
 * the clock as its caller read it (the timer wheel's batch); returns the clock as read at the
 * end of a synchronous cycle, for the next daemon of the batch.
 */
export function tick(d: DaemonSupervisor, run: Run, now?: number): number | undefined {
  if (run !== d.run || run.ended) return undefined;
  if (run.paused) {
    run.tickWhenResumed = true;
    return undefined;
  }
  const timer = run.wheelTimer;
  const outcome = timer ? runCycle(d, run, now, timer.timed) : runCycle(d, run, now);
  if (outcome === true) {
    const ended = d.stats.lastCycleAt ?? undefined;
    scheduleCycle(d, run, ended);
    return ended;
  }
  if (outcome !== false) {
    outcome.then((more) => {
      if (more) scheduleCycle(d, run);
    });
  }
  return undefined;
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
    const errors = d.stats.consecutiveErrors;
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
export function runCycle(
  d: DaemonSupervisor,
  run: Run,
  started: number = d.host.clock.now(),
  timed: boolean = d.spec.cycleTimeout !== undefined,
): boolean | Promise<boolean> {
  if (timed) return runCycleWithTimeout(d, run, started);
  let result: unknown;
  const heapBefore = heapProbe.on ? heapUsed() : 0;
  try {
    result = run.hooks.cycle?.(run.ctx);
  } catch (thrown) {
    return endCycle(d, run, started, coerceError(thrown));
  } finally {
    if (heapProbe.on) d.heapGrowth += heapUsed() - heapBefore;
  }
  if (
    result !== null &&
    typeof result === "object" &&
    typeof (result as PromiseLike<unknown>).then === "function"
  ) {
    const cycle = Promise.resolve(result).then(
      () => endCycle(d, run, started, undefined),
      (thrown) => endCycle(d, run, started, coerceError(thrown)),
    );
    run.cycle = cycle;
    return cycle;
  }
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

/** Counts a finished cycle; true to go on. */
export function endCycle(
  d: DaemonSupervisor,
  run: Run,
  started: number,
  error: Error | undefined,
): boolean {
  if (run !== d.run || run.ended) return false;
  const { spec, stats } = d;
  const ended = d.host.clock.now();
  stats.cycles++;
  stats.lastCycleAt = ended;
  stats.lastCycleDurationMs = ended - started;
  d.lastHeartbeatAt = ended;
  // A finished cycle is a heartbeat. The manager writes it through at most every
  // `heartbeatWriteInterval`, and is asked no more often: a cycle costs no call and no closure.
  if (d.host.onHeartbeat && ended >= d.nextHeartbeatWrite) {
    const interval = d.host.heartbeatWriteInterval ?? 0;
    if (d.nextHeartbeatWrite === 0 && interval > 0) {
      // The first write comes at a random point of the first interval, so a fleet started
      // together spreads its writes over the interval instead of writing every record at once.
      d.nextHeartbeatWrite = ended + Math.random() * interval;
    } else {
      d.nextHeartbeatWrite = ended + interval;
      d.host.onHeartbeat(d);
    }
  }
  if (d.host.observed("daemon:cycle")) {
    d.host.emit("daemon:cycle", {
      name: d.name,
      durationMs: ended - started,
      ok: !error,
      ...(error ? { error: describeError(error) } : {}),
      at: ended,
    });
  }
  if (!error) {
    stats.consecutiveErrors = 0;
    return true;
  }
  stats.cycleErrors++;
  stats.consecutiveErrors++;
  d.lastError = describeError(error);
  d.lastErrorAt = ended;
  d.log.warn(`cycle failed (${stats.consecutiveErrors} in a row): ${d.lastError}`);
  if (DoNotRestart.is(error)) {
    d.fail(run, error, "cycle");
    return false;
  }
  if (stats.consecutiveErrors > spec.maxConsecutiveErrors) {
    d.fail(
      run,
      new Error(
        `${stats.consecutiveErrors} consecutive cycle errors (maxConsecutiveErrors ${spec.maxConsecutiveErrors}); last: ${d.lastError}`,
        { cause: error },
      ),
      "cycle",
    );
    return false;
  }
  return true;
}
