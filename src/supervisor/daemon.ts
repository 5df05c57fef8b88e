import { Cron } from "croner";
import type { EventBus } from "../events/types.js";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { coerceError, describeError } from "../internal/errors.js";
import { AbortedError, withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import { DoNotRestart } from "../registry/errors.js";
import type {
  DaemonJobs,
  DaemonLogger,
  DaemonSpec,
  DaemonStats,
  HealthReport,
  NodeInfo,
} from "../registry/types.js";
import { mayRestart, restartDelay } from "./backoff.js";
import { RunContext } from "./context.js";
import { deriveHealth, normalizeHealth, STALE_INTERVALS, UNKNOWN_HEALTH } from "./health.js";
import { assertTransition } from "./state.js";
import type { DaemonState, ManagerEvents } from "./types.js";

/** What a daemon supervisor needs from its manager. */
export interface SupervisorHost {
  clock: Clock;
  bus: EventBus;
  node: NodeInfo;
  /** The daemon's `ctx.jobs`. */
  jobsFor(name: string): DaemonJobs;
  /** The daemon's `ctx.log` (created on first use). */
  createLog(name: string): DaemonLogger;
  emit<K extends keyof ManagerEvents>(event: K, payload: ManagerEvents[K]): void;
  /** Whether anyone listens to `event` (to skip building payloads nobody reads). */
  observed(event: keyof ManagerEvents): boolean;
  /** Called after every state change. */
  onState(daemon: DaemonSupervisor, from: DaemonState, to: DaemonState): void;
  /** Called when a backoff delay has elapsed: the manager starts it again or makes it wait. */
  onBackoffElapsed(daemon: DaemonSupervisor): void;
}

/** One run of a daemon: from `starting` until it stops or fails. */
interface Run {
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
  nextRestartAt: number | null = null;
  lastHeartbeatAt: number | null = null;
  heartbeat: Record<string, unknown> | null = null;
  readonly stats: DaemonStats = {
    cycles: 0,
    cycleErrors: 0,
    consecutiveErrors: 0,
    lastCycleAt: null,
    lastCycleDurationMs: null,
  };

  private run: Run | undefined;
  private teardown: Promise<StopResult> | undefined;
  private backoffTimer: TimerHandle | undefined;
  private cron: Cron | undefined;

  constructor(
    public spec: DaemonSpec,
    public config: Readonly<Record<string, unknown>>,
    readonly host: SupervisorHost,
  ) {
    if (spec.cron) this.cron = new Cron(spec.cron, { paused: true });
  }

  /** Takes a new resolved spec and config (stored overrides); applies from the next start. */
  reconfigure(spec: DaemonSpec, config: Readonly<Record<string, unknown>>): void {
    if (this.run) throw new Error(`daemon ${this.name}: cannot reconfigure while ${this.state}`);
    this.spec = spec;
    this.config = config;
    this.cron = spec.cron ? new Cron(spec.cron, { paused: true }) : undefined;
  }

  get name(): string {
    return this.spec.name;
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
    this.transition("starting", reason);
    void this.begin();
  }

  private async begin(): Promise<void> {
    const pending = this.teardown;
    if (pending) await pending;
    if (this.state !== "starting" || this.run) return;
    const run = this.createRun();
    this.run = run;
    this.startedAt = this.host.clock.now();
    this.health = UNKNOWN_HEALTH;
    const { spec } = this;
    try {
      run.setup = Promise.resolve().then(() => spec.setup?.(run.ctx));
      const ready =
        spec.readiness === "setup"
          ? run.setup
          : run.setup.then(() => {
              if (spec.run) this.startWork(run);
              return run.ctx.readyGate?.promise;
            });
      const outcome = await withTimeout(this.host.clock, ready, spec.readyTimeout);
      if (run !== this.run) return;
      if (!outcome.ok)
        throw new Error(`not ready within ${formatDuration(spec.readyTimeout)} (readyTimeout)`);
    } catch (error) {
      if (run === this.run) this.fail(run, error, "setup");
      return;
    }
    this.readyAt = this.host.clock.now();
    this.transition("running");
    if (this.usesBus(run)) this.host.bus.setOpen(this.name, true);
    this.warnUnhandledTypes();
    this.startWork(run);
    // The first cycle may already have failed the run: then it has no timers to arm.
    if (run !== this.run || run.ended) return;
    // A first check right away, so status shows a verdict instead of "not checked yet".
    void this.checkHealth().then(() => {
      if (run === this.run) this.scheduleHealth(run);
    });
    if (this.spec.restart.resetAfter > 0 && this.restartAttempt > 0) {
      run.resetTimer = this.host.clock.setTimeout(() => {
        if (this.run === run) this.restartAttempt = 0;
      }, this.spec.restart.resetAfter);
    }
  }

  private createRun(): Run {
    const abort = new AbortController();
    const ctx = new RunContext(this, this.name, this.config, abort.signal);
    if (this.spec.readiness === "manual") ctx.readyGate = deferred<void>();
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
      onCycleTimer: undefined,
      unhealthyStreak: 0,
      healthTimer: undefined,
      resetTimer: undefined,
      healthInFlight: undefined,
    };
  }

  private warnedUnhandled = false;
  /** A declared event type with no handler after setup is almost always a mistake: say so once. */
  private warnUnhandledTypes(): void {
    if (this.warnedUnhandled || this.spec.subscribes.length === 0) return;
    const box = this.host.bus.stats().mailboxes.find((m) => m.subscriber === this.name);
    const missing = this.spec.subscribes.filter((t) => !box?.attached.includes(t));
    if (missing.length === 0) return;
    this.warnedUnhandled = true;
    this.log.warn(
      `subscribes to ${missing.join(", ")} but set up no handler for ${missing.length === 1 ? "it" : "them"}; those events wait in its mailbox (call ctx.events.subscribe in setup)`,
    );
  }

  /** Whether the daemon uses the bus this run (declared subscriptions, or subscribe() calls). */
  private usesBus(run: Run): boolean {
    return this.spec.subscribes.length > 0 || run.ctx.subscribed;
  }

  /** Records a heartbeat (from `ctx.heartbeat`). */
  beat(details: Record<string, unknown> | null): void {
    this.lastHeartbeatAt = this.host.clock.now();
    this.heartbeat = details;
    this.host.emit("daemon:heartbeat", { name: this.name, at: this.lastHeartbeatAt, details });
  }

  private startWork(run: Run): void {
    if (run.workStarted) return;
    run.workStarted = true;
    const { spec } = this;
    if (spec.run) {
      run.work = Promise.resolve()
        .then(() => spec.run?.(run.ctx))
        .then(
          () => this.onRunReturned(run),
          (error) => this.fail(run, error, "run"),
        );
    } else if (spec.cycle) {
      this.startCycles(run);
    }
  }

  private onRunReturned(run: Run): void {
    if (run !== this.run || run.abort.signal.aborted) return;
    if (this.spec.restart.policy === "always") {
      this.fail(run, new Error("run() returned; restart policy is always"), "run", true);
      return;
    }
    this.log.info("run() returned; the daemon has finished");
    void this.stop("stopped", "run() returned");
  }

  /** Starts the schedule: the first cycle at once (interval) or at the next cron time. */
  private startCycles(run: Run): void {
    if (this.spec.interval !== undefined) this.tick(run);
    else this.scheduleCycle(run);
  }

  private scheduleCycle(run: Run): void {
    const { clock } = this.host;
    // Interval daemons re-arm one timer per run; cron daemons compute each delay.
    if (run.cycleTimer && clock.refresh && this.spec.interval !== undefined) {
      clock.refresh(run.cycleTimer);
      return;
    }
    run.onCycleTimer ??= () => this.tick(run);
    run.cycleTimer = clock.setTimeout(run.onCycleTimer, this.nextCycleDelay());
  }

  /** Runs a cycle now (unless paused or over) and schedules the next when it has ended. */
  private tick(run: Run): void {
    if (run !== this.run || run.ended) return;
    if (run.paused) {
      run.tickWhenResumed = true;
      return;
    }
    const outcome = this.runCycle(run);
    if (outcome === true) this.scheduleCycle(run);
    else if (outcome !== false) {
      outcome.then((more) => {
        if (more) this.scheduleCycle(run);
      });
    }
  }

  private nextCycleDelay(): number {
    if (this.spec.interval !== undefined) return this.spec.interval;
    const next = this.cron?.nextRun(new Date(this.host.clock.now()));
    return next ? Math.max(0, next.getTime() - this.host.clock.now()) : 60_000;
  }

  /**
   * Runs one cycle; true to go on, false when the run is over (stopped, or failed by too many
   * errors). Synchronous cycles cost no promise; without a cycleTimeout the cycle sees the run's
   * context and signal as they are.
   */
  private runCycle(run: Run): boolean | Promise<boolean> {
    const started = this.host.clock.now();
    if (this.spec.cycleTimeout !== undefined) return this.runCycleWithTimeout(run, started);
    let result: unknown;
    try {
      result = this.spec.cycle?.(run.ctx);
    } catch (thrown) {
      return this.endCycle(run, started, coerceError(thrown));
    }
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      const cycle = Promise.resolve(result).then(
        () => this.endCycle(run, started, undefined),
        (thrown) => this.endCycle(run, started, coerceError(thrown)),
      );
      run.cycle = cycle;
      return cycle;
    }
    return this.endCycle(run, started, undefined);
  }

  /** A cycle with its own signal, aborted when it overruns `cycleTimeout` (hang detection). */
  private async runCycleWithTimeout(run: Run, started: number): Promise<boolean> {
    const { clock } = this.host;
    const { spec } = this;
    const cycleAbort = new AbortController();
    const onRunAbort = () => cycleAbort.abort(run.abort.signal.reason);
    run.abort.signal.addEventListener("abort", onRunAbort, { once: true });
    const cycleCtx = run.ctx.forCycle(cycleAbort.signal);
    let error: Error | undefined;
    try {
      const cycle = Promise.resolve().then(() => spec.cycle?.(cycleCtx));
      run.cycle = cycle;
      const outcome = await withTimeout(clock, cycle, spec.cycleTimeout);
      if (!outcome.ok) {
        cycleAbort.abort(new AbortedError("cycle timed out"));
        error = new Error(
          `cycle timed out after ${formatDuration(spec.cycleTimeout ?? 0)} (cycleTimeout)`,
        );
        cycle.catch(() => {});
      }
    } catch (thrown) {
      error = coerceError(thrown);
    } finally {
      run.abort.signal.removeEventListener("abort", onRunAbort);
    }
    return this.endCycle(run, started, error);
  }

  /** Counts a finished cycle; true to go on. */
  private endCycle(run: Run, started: number, error: Error | undefined): boolean {
    if (run !== this.run || run.ended) return false;
    const { spec, stats } = this;
    const ended = this.host.clock.now();
    stats.cycles++;
    stats.lastCycleAt = ended;
    stats.lastCycleDurationMs = ended - started;
    this.lastHeartbeatAt = ended;
    if (this.host.observed("daemon:cycle")) {
      this.host.emit("daemon:cycle", {
        name: this.name,
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
    this.lastError = describeError(error);
    this.lastErrorAt = ended;
    this.log.warn(`cycle failed (${stats.consecutiveErrors} in a row): ${this.lastError}`);
    if (DoNotRestart.is(error)) {
      this.fail(run, error, "cycle");
      return false;
    }
    if (stats.consecutiveErrors > spec.maxConsecutiveErrors) {
      this.fail(
        run,
        new Error(
          `${stats.consecutiveErrors} consecutive cycle errors (maxConsecutiveErrors ${spec.maxConsecutiveErrors}); last: ${this.lastError}`,
          { cause: error },
        ),
        "cycle",
      );
      return false;
    }
    return true;
  }

  private scheduleHealth(run: Run): void {
    if (run.healthTimer) this.host.clock.clearTimeout(run.healthTimer);
    run.healthTimer = this.host.clock.setTimeout(async () => {
      run.healthTimer = undefined;
      if (run !== this.run) return;
      await this.checkHealth();
      if (run === this.run) this.scheduleHealth(run);
    }, this.spec.healthInterval);
  }

  /** Runs the health check now (hook or derived); counts toward `unhealthyThreshold`. */
  async checkHealth(): Promise<HealthReport> {
    const run = this.run;
    const { clock } = this.host;
    if (!run || !this.isUp) {
      const report = this.notRunningHealth();
      this.setHealth(report);
      return report;
    }
    if (run.healthInFlight) return run.healthInFlight;
    const check = (async (): Promise<HealthReport> => {
      const hook = this.spec.health;
      if (!hook) return this.derivedHealth();
      try {
        const outcome = await withTimeout(
          clock,
          Promise.resolve().then(() => hook(run.ctx)),
          this.spec.healthTimeout,
        );
        if (!outcome.ok) {
          return {
            status: "unhealthy",
            message: `health check timed out after ${formatDuration(this.spec.healthTimeout)} (healthTimeout)`,
            details: {},
            checkedAt: clock.now(),
            source: "hook",
          };
        }
        return normalizeHealth(outcome.value, clock.now());
      } catch (thrown) {
        return {
          status: "unhealthy",
          message: `health check threw: ${describeError(coerceError(thrown))}`,
          details: {},
          checkedAt: clock.now(),
          source: "hook",
        };
      }
    })();
    run.healthInFlight = check;
    const report = await check.finally(() => {
      run.healthInFlight = undefined;
    });
    if (run !== this.run) return report;
    this.setHealth(report);
    if (report.status === "unhealthy" && this.state === "running") {
      run.unhealthyStreak++;
      if (run.unhealthyStreak >= this.spec.unhealthyThreshold) {
        this.fail(
          run,
          new Error(
            `unhealthy ${run.unhealthyStreak} checks in a row (unhealthyThreshold ${this.spec.unhealthyThreshold}): ${report.message}`,
          ),
          "health",
        );
      }
    } else {
      run.unhealthyStreak = 0;
    }
    return report;
  }

  /** Just the health status, without building a report (for probes). */
  healthStatus(): HealthReport["status"] {
    if (!this.isUp)
      return this.state === "failed" || this.state === "backoff" ? "unhealthy" : "unknown";
    if (this.spec.health) return this.health.status;
    if (this.spec.cycle && this.state !== "paused") {
      const period = this.spec.interval ?? this.period;
      const last = this.stats.lastCycleAt ?? this.startedAt;
      if (
        period !== undefined &&
        last !== null &&
        this.host.clock.now() - last > STALE_INTERVALS * period
      )
        return "unhealthy";
    }
    return this.stats.consecutiveErrors > 0 ? "degraded" : "healthy";
  }

  /** The health shown in status: the last hook report, or derived live. */
  currentHealth(): HealthReport {
    if (!this.isUp) return this.notRunningHealth();
    if (this.spec.health) return this.health;
    return this.derivedHealth();
  }

  private derivedHealth(): HealthReport {
    return deriveHealth({
      now: this.host.clock.now(),
      period: this.spec.cycle ? this.period : undefined,
      lastCycleAt: this.stats.lastCycleAt,
      startedAt: this.startedAt,
      consecutiveErrors: this.stats.consecutiveErrors,
      lastError: this.lastError,
      paused: this.state === "paused",
    });
  }

  private notRunningHealth(): HealthReport {
    const unhealthy = this.state === "failed" || this.state === "backoff";
    return {
      status: unhealthy ? "unhealthy" : "unknown",
      message: unhealthy
        ? `${this.state}${this.lastError ? `: ${this.lastError}` : ""}`
        : `not running (${this.state})`,
      details: {},
      checkedAt: this.host.clock.now(),
      source: "derived",
    };
  }

  /**
   * Records a check's verdict and announces a change. A derived verdict is not kept (status
   * derives it afresh), only its status and message, so an idle fleet holds no report objects.
   */
  private setHealth(report: HealthReport): void {
    const previous = this.health;
    const changed = previous.status !== report.status || previous.message !== report.message;
    if (report.source === "derived" && !this.spec.health) {
      if (changed) {
        this.health =
          report.status === "unknown"
            ? UNKNOWN_HEALTH
            : { ...report, details: {}, checkedAt: null };
      }
    } else {
      this.health = report;
    }
    if (changed) this.host.emit("daemon:health", { name: this.name, health: report, previous });
  }

  /**
   * Handles a failure of the current run: tears it down in the background, then backs off and
   * restarts, or ends in `failed` (budget spent, `DoNotRestart`, or policy `never`).
   */
  private fail(run: Run, thrown: unknown, phase: string, returned = false): void {
    if (run !== this.run || run.abort.signal.aborted) return;
    const error = coerceError(thrown);
    const { clock } = this.host;
    this.endRun(run);
    this.teardown = this.tearDown(run);
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
    if (this.usesBus(run)) {
      bus.setOpen(this.name, false);
      bus.detachAll(this.name);
    }
    run.ended = true;
    run.ctx.detach();
    run.abort.abort(new AbortedError("daemon stopping"));
    run.ctx.readyGate?.resolve();
  }

  /**
   * Waits for the run's work to end, then runs cleanup (even after a half-done setup), all
   * within `stopTimeout`.
   */
  private async tearDown(run: Run): Promise<StopResult> {
    const { clock } = this.host;
    const started = clock.now();
    const { spec } = this;
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
        this.log.warn(`cleanup failed: ${describeError(coerceError(thrown))}`);
      }
    }
    if (reason) this.log.warn(reason);
    return {
      ok: reason === undefined,
      durationMs: clock.now() - started,
      ...(reason ? { reason } : {}),
    };
  }

  /**
   * Stops the daemon: aborts its signal, closes its mailbox, waits for its work and cleanup
   * (within `stopTimeout`), then moves to `target` (`stopped`, or `waiting` when a dependency
   * went away). Resolves with how it went; never rejects.
   */
  async stop(target: "stopped" | "waiting", reason?: string): Promise<StopResult> {
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
      this.teardown = this.tearDown(run);
    } else if (this.state === "starting") {
      // still waiting for a previous teardown; nothing of this run has begun
      this.transition("stopping", reason);
    }
    if (this.teardown) {
      result = await this.teardown;
      this.teardown = undefined;
    }
    if (this.state !== target) this.transition(target, reason);
    this.stoppedAt = clock.now();
    return { ...result, durationMs: clock.now() - started };
  }

  pause(): void {
    const run = this.run;
    if (!run || this.state !== "running") return;
    run.paused = true;
    if (this.usesBus(run)) this.host.bus.setOpen(this.name, false);
    this.transition("paused");
  }

  resume(): void {
    const run = this.run;
    if (!run || this.state !== "paused") return;
    run.paused = false;
    this.readyAt = this.host.clock.now();
    this.transition("running");
    if (this.usesBus(run)) this.host.bus.setOpen(this.name, true);
    this.warnUnhandledTypes();
    if (run.tickWhenResumed) {
      run.tickWhenResumed = false;
      this.tick(run);
    }
  }
}
