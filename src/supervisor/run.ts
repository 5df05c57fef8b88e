import type { TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { coerceError, describeError } from "../internal/errors.js";
import { LazyAbort } from "../internal/lazy-abort.js";
import { withTimeout } from "../internal/sleep.js";
import { runnerHooks } from "../isolation/host-hooks.js";
import { createDaemonRunner } from "../isolation/host-runner.js";
import type { DaemonRunner } from "../isolation/types.js";
import { formatDuration } from "../registry/duration.js";
import type { DaemonHooks, HealthReport } from "../registry/types.js";
import { type Owner, runAs } from "./async-context.js";
import { RunContext } from "./context.js";
import type { CycleState } from "./cycle-state.js";
import type { DaemonSupervisor } from "./daemon.js";
import { daemonOwner } from "./owner.js";

/** One run of a daemon: from `starting` until it stops or fails. */
export interface Run {
  /** The run's abort; its signal is made on first use (`ctx.signal`, a cycleTimeout). */
  abort: LazyAbort;
  ctx: RunContext;
  /** Whose code this run's hooks are (their async context, see async-context.ts). */
  owner: Owner;
  /** Set when the run is over (stopped or failed); cheaper to read than the signal. */
  ended: boolean;
  setup: Promise<unknown> | undefined;
  work: Promise<unknown> | undefined;
  cycle: Promise<unknown> | undefined;
  workStarted: boolean;
  paused: boolean;
  tickWhenResumed: boolean;
  /** A cron daemon's timer for its next cycle. */
  cycleTimer: TimerHandle | undefined;
  /** An interval daemon's timer for its next cycle, in its clock's timer wheel (cycles.ts). */
  wheelTimer: CycleState | undefined;
  unhealthyStreak: number;
  /** When the daemon last called `ctx.heartbeat()` in this run (for `heartbeatTimeout`). */
  lastBeatAt: number | null;
  healthTimer: TimerHandle | undefined;
  resetTimer: TimerHandle | undefined;
  healthInFlight: Promise<HealthReport> | undefined;
  /** The hooks this run calls: the spec's own (inline), or ones that drive `runner`. */
  hooks: DaemonHooks<unknown>;
  /** Where a worker or process daemon's code runs; undefined inline. */
  runner: DaemonRunner | undefined;
}

export interface StopResult {
  ok: boolean;
  durationMs: number;
  reason?: string;
}

/** A fresh run record for `d`, with its own abort signal and context. */
export function createRun(d: DaemonSupervisor): Run {
  const abort = new LazyAbort();
  const ctx = new RunContext(d, d.name, d.config, abort);
  if (d.spec.readiness === "manual") ctx.readyGate = deferred<void>();
  const { spec } = d;
  const runner =
    spec.isolation === "inline"
      ? undefined
      : createDaemonRunner(spec, {
          kind: spec.isolation,
          module: spec.module,
          maxMemory: spec.maxMemory,
          killTimeout: spec.killTimeout,
        });
  const run: Run = {
    abort,
    ctx,
    owner: undefined as unknown as Owner,
    ended: false,
    setup: undefined,
    work: undefined,
    cycle: undefined,
    workStarted: false,
    paused: false,
    tickWhenResumed: false,
    cycleTimer: undefined,
    wheelTimer: undefined,
    unhealthyStreak: 0,
    lastBeatAt: null,
    healthTimer: undefined,
    resetTimer: undefined,
    healthInFlight: undefined,
    hooks: runner ? runnerHooks(spec, runner) : spec,
    runner,
  };
  // A guest that dies on its own (crash, exit, memory limit) fails this run, like a rejected run().
  runner?.onExit((exit) => {
    if (!exit.expected && run === d.run && !run.ended) d.fail(run, new Error(exit.reason), "exit");
  });
  run.owner = daemonOwner(d, run);
  ctx.runOwner = run.owner;
  return run;
}

/**
 * Waits for the run's work to end, then runs cleanup (even after a half-done setup), all
 * within `stopTimeout`. Work already abandoned (a setup past `readyTimeout`, a cycle past
 * `cycleTimeout`: aborted and given up on) is not waited for again, so the next start waits only
 * for cleanup.
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
  const { cleanup } = run.hooks;
  if (cleanup) {
    const remaining = Math.max(0, spec.stopTimeout - (clock.now() - started));
    try {
      outcome = await withTimeout(
        clock,
        runAs(run.owner, () => Promise.resolve().then(() => cleanup(run.ctx))),
        remaining,
      );
      if (!outcome.ok)
        reason = `cleanup did not finish within ${formatDuration(spec.stopTimeout)} (stopTimeout)`;
    } catch (thrown) {
      d.log.warn(`cleanup failed: ${describeError(coerceError(thrown))}`);
    }
  }
  if (run.runner) {
    // A worker or process guest leaves now; past stopTimeout it is forced (terminate, or
    // SIGTERM then SIGKILL to its process group after killTimeout).
    const grace = Math.max(0, spec.stopTimeout - (clock.now() - started));
    const ended = await run.runner.stop(grace);
    if (ended.forced) d.log.warn(`${run.runner.kind} guest did not leave in time: ${ended.forced}`);
  }
  if (reason) d.log.warn(reason);
  return {
    ok: reason === undefined,
    durationMs: clock.now() - started,
    ...(reason ? { reason } : {}),
  };
}
