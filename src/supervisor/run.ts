import type { TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { coerceError, describeError } from "../internal/errors.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { HealthReport } from "../registry/types.js";
import { RunContext } from "./context.js";
import type { DaemonSupervisor } from "./daemon.js";

/** One run of a daemon: from `starting` until it stops or fails. */
export interface Run {
  abort: AbortController;
  ctx: RunContext;
  /** Set when the run is over (stopped or failed); cheaper to read than the signal. */
  ended: boolean;
  setup: Promise<unknown> | undefined;
  work: Promise<unknown> | undefined;
  cycle: Promise<unknown> | undefined;
  workStarted: boolean;
  paused: boolean;
  tickWhenResumed: boolean;
  cycleTimer: TimerHandle | undefined;
  /** The delay `cycleTimer` was armed with (it is re-armed as it is only while that holds). */
  cycleDelay: number | undefined;
  onCycleTimer: (() => void) | undefined;
  unhealthyStreak: number;
  healthTimer: TimerHandle | undefined;
  resetTimer: TimerHandle | undefined;
  healthInFlight: Promise<HealthReport> | undefined;
}

export interface StopResult {
  ok: boolean;
  durationMs: number;
  reason?: string;
}

/** A fresh run record for `d`, with its own abort signal and context. */
export function createRun(d: DaemonSupervisor): Run {
  const abort = new AbortController();
  const ctx = new RunContext(d, d.name, d.config, abort.signal);
  if (d.spec.readiness === "manual") ctx.readyGate = deferred<void>();
  return {
    abort,
    ctx,
    ended: false,
    setup: undefined,
    work: undefined,
    cycle: undefined,
    workStarted: false,
    paused: false,
    tickWhenResumed: false,
    cycleTimer: undefined,
    cycleDelay: undefined,
    onCycleTimer: undefined,
    unhealthyStreak: 0,
    healthTimer: undefined,
    resetTimer: undefined,
    healthInFlight: undefined,
  };
}

/**
 * Waits for the run's work to end, then runs cleanup (even after a half-done setup), all
 * within `stopTimeout`.
 */
export async function tearDown(d: DaemonSupervisor, run: Run): Promise<StopResult> {
  const { clock } = d.host;
  const started = clock.now();
  const { spec } = d;
  const settle = (p: Promise<unknown> | undefined) =>
    p
      ? p.then(
          () => {},
          () => {},
        )
      : undefined;
  const finished: Promise<unknown> = Promise.all([
    settle(run.setup),
    settle(run.work),
    settle(run.cycle),
  ]);
  let outcome: { ok: boolean } = await withTimeout(clock, finished, spec.stopTimeout);
  let reason: string | undefined;
  if (!outcome.ok)
    reason = `work did not end within ${formatDuration(spec.stopTimeout)} (stopTimeout)`;
  if (spec.cleanup) {
    const remaining = Math.max(0, spec.stopTimeout - (clock.now() - started));
    try {
      outcome = await withTimeout(
        clock,
        Promise.resolve().then(() => spec.cleanup?.(run.ctx)),
        remaining,
      );
      if (!outcome.ok)
        reason = `cleanup did not finish within ${formatDuration(spec.stopTimeout)} (stopTimeout)`;
    } catch (thrown) {
      d.log.warn(`cleanup failed: ${describeError(coerceError(thrown))}`);
    }
  }
  if (reason) d.log.warn(reason);
  return {
    ok: reason === undefined,
    durationMs: clock.now() - started,
    ...(reason ? { reason } : {}),
  };
}
