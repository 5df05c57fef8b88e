import { Cron } from "croner";
import type { TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { abortReason, withTimeout } from "../internal/sleep.js";
import { type ProgramSpec, programRunnerStats, programSpec } from "../isolation/command-daemon.js";
import type { RunnerStats } from "../isolation/types.js";
import { formatDuration } from "../registry/duration.js";
import { DoNotRestart } from "../registry/errors.js";
import type { DaemonLogger, DaemonSpec, DaemonStats, HealthReport } from "../registry/types.js";
import { runAs } from "./async-context.js";
import { mayRestart, restartDelay } from "./backoff.js";
import { CycleState } from "./cycle-state.js";
import { pauseCycles, tick } from "./cycles.js";
import { UNKNOWN_HEALTH } from "./health.js";
import { checkHealth, currentHealth, healthStatus } from "./health-check.js";
import type { SupervisorHost } from "./host.js";
import { openRun, warnUnhandledTypes } from "./open-run.js";
import { releaseOwner } from "./owner.js";
import { createRun, type Run, type StopResult, tearDown } from "./run.js";
import { assertTransition } from "./state.js";
import type { DaemonState } from "./types.js";

export type { SupervisorHost };

/**
 * Supervises one daemon: runs its hooks, drives its state machine, restarts it with backoff,
 * checks its health. Dependencies are the manager's business; this only knows its own daemon.
 */
export class DaemonSupervisor {
  state: DaemonState = "stopped";
  health: HealthReport = UNKNOWN_HEALTH;
  restarts = 0;
  restartAttempt = 0;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  startedAt: number | null = null;
  /** When it last became running (ready). */
  readyAt: number | null = null;
  stoppedAt: number | null = null;
  /** Why the last stop did not finish in time (work or cleanup past stopTimeout); null if it did. */
  unstopped: string | null = null;
  nextRestartAt: number | null = null;
  heartbeat: Record<string, unknown> | null = null;
  /** @internal The host's write-through of its beats (made on the first): no lookup by name. */
  heartbeatWrites:
    | { beat(at: number, details: Record<string, unknown> | null): void; readonly stopped: boolean }
    | undefined = undefined;
  /** Stalls of the event loop attributed to this daemon's code (stall-watch.ts). */
  stalls = 0;
  lastStall: { ms: number; at: number } | null = null;
  /** Bytes the heap grew across this daemon's cycles while the heap watch measures (heap-watch.ts). */
  heapGrowth = 0;
  /** Its cycles' counters and times, and an interval daemon's timer (cycle-state.ts). */
  readonly cycling: CycleState;

  /** The current run (internal to the supervisor's modules). */
  run: Run | undefined;
  private teardown: Promise<StopResult> | undefined;
  private backoffTimer: TimerHandle | undefined;
  /** The parsed cron schedule, if any (internal). */
  cron: Cron | undefined;

  public spec: DaemonSpec;
  /** A command daemon's program stats (see `programSpec`). */
  private programStats: ProgramSpec["stats"];

  constructor(
    spec: DaemonSpec,
    public config: Readonly<Record<string, unknown>>,
    readonly host: SupervisorHost,
  ) {
    this.cycling = new CycleState(this);
    // A command daemon runs through the same hooks, state machine and timeouts as any other.
    const run = programSpec(spec, host.programs);
    this.spec = run.spec;
    this.programStats = run.stats;
    if (spec.cron) this.cron = new Cron(spec.cron, { paused: true });
  }

  /** Takes a new resolved spec and config (stored overrides); applies from the next start. */
  reconfigure(spec: DaemonSpec, config: Readonly<Record<string, unknown>>): void {
    if (this.run) throw new Error(`daemon ${this.name}: cannot reconfigure while ${this.state}`);
    const run = programSpec(spec, this.host.programs);
    this.spec = run.spec;
    this.programStats = run.stats;
    this.config = config;
    this.cron = spec.cron ? new Cron(spec.cron, { paused: true }) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Counters of its cycles (a live view: `ctx.stats`). */
  get stats(): DaemonStats {
    return this.cycling.stats;
  }

  /** When it last beat: the end of its last cycle, or a later `ctx.heartbeat`. */
  get lastHeartbeatAt(): number | null {
    return this.cycling.lastBeatAt;
  }

  /** Where its code runs: the live guest's or program's pid, thread, memory and CPU, else just the kind. */
  isolation(): RunnerStats {
    if (this.run?.runner) return this.run.runner.stats();
    if (this.programStats) return programRunnerStats(this.run && this.programStats(this.run.ctx));
    return { kind: this.spec.command ? "command" : this.spec.isolation };
  }

  private logger: DaemonLogger | undefined;
  /** This daemon's logger, created on first use (a fleet of idle daemons costs nothing here). */
  get log(): DaemonLogger {
    this.logger ??= this.host.createLog(this.spec.name);
    return this.logger;
  }

  /** Running or paused: its dependents may run. */
  get isUp(): boolean {
    return this.state === "running" || this.state === "paused";
  }

  /** The schedule's period in ms (for staleness), if periodic. */
  get period(): number | undefined {
    if (this.spec.interval !== undefined) return this.spec.interval;
    if (this.cron) {
      const [a, b] = this.cron.nextRuns(2, new Date(this.host.clock.now()));
      if (a && b) return b.getTime() - a.getTime();
    }
    return undefined;
  }

  transition(to: DaemonState, reason?: string): void {
    const from = this.state;
    if (from === to) return;
    assertTransition(this.name, from, to);
    this.state = to;
    this.host.emit("daemon:state", {
      name: this.name,
      from,
      to,
      at: this.host.clock.now(),
      ...(reason ? { reason } : {}),
    });
    this.host.onState(this, from, to);
  }

  /** Waits for dependencies: the manager says so while a dependency is not running. */
  wait(reason: string): void {
    if (this.state === "waiting") return;
    this.transition("waiting", reason);
  }

  /** A cluster daemon whose lease this node does not hold: it runs elsewhere (DESIGN.md §8). */
  standby(reason: string): void {
    if (this.state === "standby") return;
    if (this.backoffTimer) {
      this.host.clock.clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.nextRestartAt = null;
    this.transition("standby", reason);
  }

  /** Forgets the restart budget (a manual start after `failed`). */
  resetBudget(): void {
    this.restartAttempt = 0;
  }

  /** Starts a run: `starting` → `running` when ready, or a failure. */
  launch(reason?: string): void {
    if (this.backoffTimer) {
      this.host.clock.clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.nextRestartAt = null;
    this.unstopped = null;
    this.transition("starting", reason);
    void this.begin();
  }

  /**
   * One start: waits for the previous run's teardown, runs setup, then the work. The whole start
   * is bounded by `readyTimeout` (the wait for the previous teardown included), on the first
   * start and on every restart. Everything from setup on runs as the run's owner, so whatever
   * the daemon schedules is attributed to it (async-context.ts).
   */
  private async begin(): Promise<void> {
    const { clock } = this.host;
    const began = clock.now();
    const pending = this.teardown;
    const waited = pending ? await withTimeout(clock, pending, this.spec.readyTimeout) : undefined;
    if (this.state !== "starting" || this.run) return;
    const run = createRun(this);
    this.run = run;
    this.startedAt = clock.now();
    this.health = UNKNOWN_HEALTH;
    this.cycling.consecutiveErrors = 0;
    if (waited && !waited.ok) {
      this.fail(
        run,
        new Error(
          `not ready within ${formatDuration(this.spec.readyTimeout)} (readyTimeout): the previous run had not stopped yet`,
        ),
        "setup",
      );
      return;
    }
    await runAs(run.owner, () =>
      openRun(this, run, this.spec.readyTimeout - (clock.now() - began)),
    );
  }

  /** @internal Set once the warning about declared types without a handler was given. */
  warnedUnhandled = false;

  /** @internal Whether the daemon uses the bus this run (declared subscriptions, or subscribe() calls). */
  usesBus(run: Run): boolean {
    return this.spec.subscribes.length > 0 || run.ctx.subscribed;
  }

  /** Records a heartbeat (from `ctx.heartbeat`, also bridged from worker and process guests). */
  beat(details: Record<string, unknown> | null): void {
    const at = this.host.clock.now();
    this.cycling.beat(at);
    this.heartbeat = details;
    if (this.run) this.run.lastBeatAt = at;
    this.host.emit("daemon:heartbeat", { name: this.name, at, details });
    this.host.onHeartbeat?.(this);
  }

  /** Runs the health check now (hook or derived); counts toward `unhealthyThreshold`. */
  checkHealth(): Promise<HealthReport> {
    return checkHealth(this);
  }

  /** Just the health status, without building a report (for probes). */
  healthStatus(): HealthReport["status"] {
    return healthStatus(this);
  }

  /** The health shown in status: the last hook report, or derived live. */
  currentHealth(): HealthReport {
    return currentHealth(this);
  }

  /**
   * @internal Handles a failure of the current run: tears it down in the background, then backs
   * off and restarts, or ends in `failed` (budget spent, `DoNotRestart`, or policy `never`).
   */
  fail(run: Run, thrown: unknown, phase: string, returned = false): void {
    if (run !== this.run || run.abort.aborted) return;
    const error = coerceError(thrown);
    const { clock } = this.host;
    this.endRun(run);
    this.teardown = tearDown(this, run);
    if (returned) {
      // Policy "always" and a run() that returned normally: not a failure, so it spends no
      // restart budget; it starts again after the first delay of the policy.
      this.restarts++;
      this.scheduleRestart(
        this.spec.restart.initialDelay,
        "run() returned; restarting (restart policy always)",
        0,
      );
      return;
    }
    this.lastError = describeError(error);
    this.lastErrorAt = clock.now();
    this.log.error(`${phase} failed: ${this.lastError}`, { phase, stack: error.stack });
    const attempt = this.restartAttempt + 1;
    if (DoNotRestart.is(error) || !mayRestart(this.spec.restart, attempt)) {
      this.nextRestartAt = null;
      const why = DoNotRestart.is(error)
        ? "DoNotRestart"
        : this.spec.restart.policy === "never"
          ? "restart policy is never"
          : `gave up after ${this.spec.restart.maxRestarts} restarts`;
      this.transition("failed", `${why}: ${this.lastError}`);
      this.host.emit("daemon:failed", { name: this.name, error: this.lastError, at: clock.now() });
      return;
    }
    this.restartAttempt = attempt;
    this.restarts++;
    this.scheduleRestart(
      restartDelay(this.spec.restart, attempt),
      `restart ${attempt}/${this.spec.restart.maxRestarts}`,
      attempt,
      this.lastError,
    );
  }

  /** Enters `backoff` and starts again after `delay` ms (through the manager, for dependencies). */
  private scheduleRestart(
    delay: number,
    what: string,
    attempt: number,
    error?: string | null,
  ): void {
    const { clock } = this.host;
    this.nextRestartAt = clock.now() + delay;
    this.transition("backoff", `${what} in ${formatDuration(delay)}${error ? `: ${error}` : ""}`);
    this.host.emit("daemon:restart", {
      name: this.name,
      attempt,
      delayMs: delay,
      at: clock.now(),
      error: error ?? what,
    });
    const elapsed = () => {
      this.backoffTimer = undefined;
      if (this.state === "backoff") this.host.onBackoffElapsed(this);
    };
    // A zero delay restarts on the next turn of the event loop, not after a 1 ms timer.
    if (delay === 0) setImmediate(elapsed);
    else this.backoffTimer = clock.setTimeout(elapsed, delay);
  }

  /** Detaches a run from the daemon: timers off, mailbox closed, signal aborted. */
  private endRun(run: Run): void {
    if (this.run === run) this.run = undefined;
    const { clock, bus } = this.host;
    if (run.healthTimer) clock.clearTimeout(run.healthTimer);
    if (run.resetTimer) clock.clearTimeout(run.resetTimer);
    if (run.cycleTimer) clock.clearTimeout(run.cycleTimer);
    run.wheelTimer?.release(run);
    if (this.usesBus(run)) {
      bus.setOpen(this.name, false);
      bus.detachAll(this.name);
    }
    run.ended = true;
    releaseOwner(run.owner);
    run.ctx.detach();
    run.abort.abort(abortReason("daemon stopping"));
    run.ctx.readyGate?.resolve();
  }

  /**
   * Stops the daemon: aborts its signal, closes its mailbox, waits for its work and cleanup
   * (within `stopTimeout`), then moves to `target` (`stopped`, `waiting` when a dependency
   * went away, `standby` when this node lost the daemon's cluster lease). Resolves with how it went; never rejects.
   */
  async stop(target: "stopped" | "waiting" | "standby", reason?: string): Promise<StopResult> {
    const { clock } = this.host;
    const started = clock.now();
    if (this.backoffTimer) {
      clock.clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.nextRestartAt = null;
    const run = this.run;
    let result: StopResult = { ok: true, durationMs: 0 };
    if (run && (this.state === "starting" || this.isUp)) {
      this.transition("stopping", reason);
      this.endRun(run);
      this.teardown = tearDown(this, run);
    } else if (this.state === "starting") {
      // still waiting for a previous teardown; nothing of this run has begun
      this.transition("stopping", reason);
    }
    if (this.teardown) {
      result = await this.teardown;
      this.teardown = undefined;
    }
    if (!result.ok) {
      // Not stopped in time: its state says stopped, its status and record say what is left.
      this.unstopped = result.reason ?? "did not stop within its stopTimeout";
      this.lastError = this.unstopped;
      this.lastErrorAt = clock.now();
    }
    if (this.state !== target) this.transition(target, this.unstopped ?? reason);
    this.stoppedAt = clock.now();
    return { ...result, durationMs: clock.now() - started };
  }

  pause(): void {
    const run = this.run;
    if (!run || this.state !== "running") return;
    pauseCycles(run, true);
    if (this.usesBus(run)) this.host.bus.setOpen(this.name, false);
    this.transition("paused");
  }

  resume(): void {
    const run = this.run;
    if (!run || this.state !== "paused") return;
    pauseCycles(run, false);
    this.readyAt = this.host.clock.now();
    this.transition("running");
    if (this.usesBus(run)) this.host.bus.setOpen(this.name, true);
    warnUnhandledTypes(this);
    if (run.tickWhenResumed) {
      run.tickWhenResumed = false;
      runAs(run.owner, tick, this, run);
    }
  }
}
