import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { ResolvedDaemon } from "../config/resolve.js";
import { resolveConfig } from "../config/resolve.js";
import { createEventBus } from "../events/bus.js";
import { createDurableDelivery } from "../events/durable.js";
import type { EventBus } from "../events/types.js";
import { type Clock, systemClock } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { coerceError, describeError } from "../internal/errors.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import { withTimeout } from "../internal/sleep.js";
import { createJobService, type JobService } from "../jobs/index.js";
import { formatDuration } from "../registry/duration.js";
import { ConfigError, StateConflictError, UnknownDaemonError } from "../registry/errors.js";
import { createGraph, type DependencyGraph } from "../registry/graph.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonJobs, HealthReport, NodeInfo, RingmasterConfig } from "../registry/types.js";
import { validateConfig } from "../registry/validate.js";
import type { Store, StoreHealth } from "../store/types.js";
import { parseStoreUrl } from "../store/url.js";
import { DaemonSupervisor, type SupervisorHost } from "./daemon.js";
import { type LogEntry, type LogQuery, LogRing } from "./log-ring.js";
import { createBaseLogger, createDaemonLogger } from "./logger.js";
import { openPersistence, type Persistence } from "./persistence.js";
import type {
  DaemonState,
  DaemonStatus,
  Manager,
  ManagerEvents,
  ManagerOptions,
  ProbeReport,
  ShutdownReport,
  StartOptions,
  StartReport,
} from "./types.js";

/** `ctx.jobs` of a manager that has no job service (before `start()` opens the store). */
const noJobs = () =>
  Promise.reject(new Error("jobs are not available: this manager has no job service"));
const NO_JOBS: DaemonJobs = {
  launch: noJobs,
  launchMany: noJobs,
  monitor: noJobs,
  cancel: noJobs,
  get: noJobs,
  list: noJobs,
};

/** Closing the server, jobs and store after the daemons gets at least this long. */
const CLOSE_GRACE = 2_000;

/** Internals shared with the HTTP server, the CLI and the store wiring; not public API. */
export interface ManagerInternals {
  readonly config: RingmasterConfig;
  readonly graph: DependencyGraph;
  readonly logger: Logger;
  readonly node: NodeInfo;
  readonly resolved: ReturnType<typeof resolveConfig>;
  readonly bus: EventBus;
  readonly shuttingDown: boolean;
  readonly started: boolean;
  /** Recent log lines (from the store when there is one), oldest first. */
  queryLogs(query: LogQuery): Promise<LogEntry[]>;
  /** The job service, once `start()` has opened the store. */
  readonly jobs: JobService | undefined;
  /** The open store, once `start()` has opened it. */
  readonly store: Store | undefined;
  storeHealth(): StoreHealth | undefined;
  /**
   * Saves operator overrides for a daemon (config keys, `enabled`, `autoStart`) in the store and
   * validates them as the last config layer; they apply from the daemon's next start. Throws a
   * ConfigError (one line per problem) for bad values, saving nothing.
   */
  setOverrides(name: string, patch: Record<string, unknown>): Promise<ResolvedDaemon>;
  /** Dead letters of this process and, with a persistent store, of earlier ones. */
  listDeadLetters(): Promise<import("../events/types.js").DeadLetter[]>;
  /** Re-delivers a dead letter (from memory or the store); false if unknown. */
  retryDeadLetter(id: string): Promise<boolean>;
  /** Canonical daemon name for user input in any case, or throws UnknownDaemonError. */
  canonical(name: string): string;
}

export const INTERNALS: unique symbol = Symbol.for("ringmaster.manager.internals") as never;

/**
 * Creates a manager for `config`. Validates the registry and resolves every daemon's config at
 * once: any problem throws a {@link ConfigError} with one line per problem, before anything runs.
 * Declared subscribers get their mailboxes here, so no event is lost to start-up order.
 */
export function createManager(
  config: RingmasterConfig,
  options: ManagerOptions = {},
): Manager & { [INTERNALS]: ManagerInternals } {
  const clock: Clock = options.clock ?? systemClock;
  const logger = createBaseLogger(options.logger);
  const validation = validateConfig(config);
  if (!validation.ok) throw new ConfigError(validation.errors.map((p) => p.message));
  const envOption = options.env ? { env: options.env } : {};
  let resolved = resolveConfig(config, envOption);
  let storedOverrides: Record<string, Record<string, unknown>> = {};
  /** Resolutions waiting for their daemon's next start (after overrides changed). */
  const pendingConfig = new Map<string, ResolvedDaemon>();
  let persistence: Persistence | undefined;
  for (const warning of [...validation.warnings.map((w) => w.message), ...resolved.warnings])
    logger.warn(warning);

  const emitter = new SafeEmitter<{ [K in keyof ManagerEvents]: ManagerEvents[K] }>(
    (event, error) => logger.error({ err: coerceError(error) }, `a listener of ${event} threw`),
  );
  const emit = <K extends keyof ManagerEvents>(event: K, payload: ManagerEvents[K]) =>
    emitter.emit(event, payload);
  const storeUrl = options.store ?? resolved.settings.store;
  const declared = new Map(
    [...resolved.daemons.values()]
      .filter((d) => d.spec.subscribes.length > 0)
      .map((d) => [d.name, d.spec.subscribes] as const),
  );
  const onBusError = (error: Error, context: string) => logger.error({ err: error }, context);
  // With a persistent store, declared subscribers are fed from the store (durable delivery).
  const durable =
    parseStoreUrl(storeUrl).kind === "memory"
      ? undefined
      : createDurableDelivery({
          clock,
          subscribers: declared,
          mailboxCapacity: config.events.mailboxCapacity,
          onError: onBusError,
          active: (name) => desired.has(name),
        });
  const bus: EventBus = createEventBus({
    clock,
    options: config.events,
    onError: onBusError,
    ...(durable ? { external: true, journal: durable.journal } : {}),
  });
  const node: NodeInfo = {
    id:
      options.node?.id ??
      `${options.node?.host ?? hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    host: options.node?.host ?? hostname(),
    pid: process.pid,
    profile: null,
  };
  const specs = [...resolved.daemons.values()].map((d) => d.spec);
  const graph = createGraph(specs);
  const byLowerName = new Map(specs.map((s) => [s.name.toLowerCase(), s.name]));
  /** The graph never changes after creation: its start order is computed once. */
  const topoOrder = graph.topologicalOrder();

  const supervisors = new Map<string, DaemonSupervisor>();
  /** Daemons asked for directly. */
  const requested = new Set<string>();
  /** Daemons that should run: the requested ones and everything they depend on. */
  let desired = new Set<string>();
  const pulledInBy = new Map<string, Set<string>>();
  let started = false;
  let shuttingDown = false;
  let shutdownPromise: Promise<ShutdownReport> | undefined;
  const settleWaiters = new Set<() => void>();
  const logRing = new LogRing();
  let http: { url: string; close(): Promise<void> } | undefined;
  /** The store and server being opened by start(), which shutdown() lets finish first. */
  let startupPhase: Promise<void> | undefined;

  let jobService: JobService | undefined;
  const jobsFor = (name: string): DaemonJobs => jobService?.forDaemon(name) ?? NO_JOBS;
  const host: SupervisorHost = {
    clock,
    bus,
    node,
    jobsFor: (name) => jobsFor(name),
    observed: (event) => emitter.listenerCount(event) > 0,
    createLog: (name) =>
      createDaemonLogger(logger, name, (level, message, fields) => {
        const at = clock.now();
        logRing.push({ at, daemon: name, level, message, fields });
        persistence?.log({ time: at, daemon: name, level, message, fields });
        emit("daemon:log", { name, level, message, fields, at });
      }),
    emit,
    onState: (daemon, from, to) => onState(daemon, from, to),
    onBackoffElapsed: (daemon) => {
      if (shuttingDown || !desired.has(daemon.name)) return;
      startIfReady(daemon, `restart ${daemon.restartAttempt}/${daemon.spec.restart.maxRestarts}`);
    },
  };

  for (const daemon of resolved.daemons.values()) {
    supervisors.set(daemon.name, new DaemonSupervisor(daemon.spec, daemon.config, host));
    if (daemon.spec.subscribes.length > 0) bus.declare(daemon.name, daemon.spec.subscribes);
  }

  const sup = (name: string) => supervisors.get(name) as DaemonSupervisor;
  const currentSpecs = () => [...supervisors.values()].map((d) => d.spec);

  function recordOf(d: DaemonSupervisor) {
    return {
      name: d.name,
      state: d.state,
      enabled: d.spec.enabled,
      autoStart: d.spec.autoStart,
      restartCount: d.restarts,
      lastError: d.lastError,
      startedAt: d.isUp || d.state === "starting" ? d.startedAt : null,
      lastHeartbeatAt: d.lastHeartbeatAt,
      heartbeatDetails: d.heartbeat,
    };
  }

  /** Applies a resolution made after overrides changed, if the daemon is between runs. */
  function applyPendingConfig(d: DaemonSupervisor): void {
    const next = pendingConfig.get(d.name);
    if (!next) return;
    pendingConfig.delete(d.name);
    d.reconfigure(next.spec, next.config);
  }

  function canonical(name: string): string {
    const found = supervisors.has(name) ? name : byLowerName.get(String(name).toLowerCase());
    if (!found) throw new UnknownDaemonError(name, suggest(name, supervisors.keys()));
    return found;
  }

  function missingDeps(daemon: DaemonSupervisor): string[] {
    return daemon.spec.dependsOn.filter((dep) => !supervisors.get(dep)?.isUp);
  }

  /** Starts `daemon` if every dependency is up; otherwise it waits. */
  function startIfReady(daemon: DaemonSupervisor, reason?: string): void {
    if (shuttingDown) return;
    if (daemon.state !== "running" && daemon.state !== "paused" && daemon.state !== "starting")
      applyPendingConfig(daemon);
    if (!daemon.spec.enabled) {
      if (daemon.state !== "stopped") void daemon.stop("stopped", "disabled");
      return;
    }
    const missing = missingDeps(daemon);
    if (missing.length > 0) {
      daemon.wait(`waiting on ${missing.join(", ")}`);
      return;
    }
    daemon.launch(reason);
  }

  function onState(daemon: DaemonSupervisor, _from: DaemonState, to: DaemonState): void {
    persistence?.record(recordOf(daemon));
    if (to === "running" && !shuttingDown) {
      for (const dependent of graph.dependentsOf(daemon.name)) {
        const d = sup(dependent);
        if (desired.has(dependent) && d.state === "waiting" && sequentialGate(dependent))
          startIfReady(d);
      }
    }
    if ((to === "failed" || to === "stopped") && !shuttingDown) {
      void stopDependents(
        daemon.name,
        to === "failed" ? `dependency ${daemon.name} failed` : `dependency ${daemon.name} stopped`,
      );
    }
    scheduleSettleCheck();
  }

  /** Checks the start()/startDaemon() waiters once per turn of the event loop, not per change. */
  let settleCheckScheduled = false;
  function scheduleSettleCheck(): void {
    if (settleCheckScheduled || settleWaiters.size === 0) return;
    settleCheckScheduled = true;
    setImmediate(() => {
      settleCheckScheduled = false;
      for (const waiter of [...settleWaiters]) waiter();
    });
  }

  /** In sequential start-up, a daemon waits for its turn; otherwise always true. */
  let sequentialAllowed: Set<string> | undefined;
  function sequentialGate(name: string): boolean {
    return !sequentialAllowed || sequentialAllowed.has(name);
  }

  /** Stops the running dependents of `name`, dependents first; they return to `waiting`. */
  async function stopDependents(name: string, reason: string): Promise<void> {
    const affected = graph.dependentsClosure([name]);
    const order = graph.reverseOrder().filter((n) => affected.has(n));
    for (const dependent of order) {
      const d = sup(dependent);
      if (!desired.has(dependent)) continue;
      if (
        d.state === "starting" ||
        d.state === "running" ||
        d.state === "paused" ||
        d.state === "backoff" ||
        d.state === "failed"
      ) {
        if (d.state === "failed") continue;
        await d.stop("waiting", reason);
        // The dependency may be back already (it restarted while this one was stopping).
        if (!shuttingDown && desired.has(dependent) && (d.state as DaemonState) === "waiting")
          startIfReady(d);
      } else if (d.state === "stopped") {
        d.wait(reason);
      }
    }
  }

  /**
   * A desired daemon that will not start without outside help: a dependency failed, is disabled,
   * is not wanted, or is stopped (its `run()` finished).
   */
  function blocked(name: string, seen = new Set<string>()): boolean {
    if (seen.has(name)) return true;
    seen.add(name);
    for (const dep of sup(name).spec.dependsOn) {
      const d = supervisors.get(dep);
      if (!d) return true;
      if (d.state === "failed" || d.state === "stopped" || !d.spec.enabled) return true;
      if (!desired.has(dep) && !d.isUp) return true;
      if (d.state === "waiting" && blocked(dep, seen)) return true;
    }
    return false;
  }

  /**
   * Whether each of `names` has come to rest: running, failed, stopped, waiting on something that
   * will not start by itself, or has been running since `since` (a daemon whose `run()` returns
   * at once under policy `always` never rests, but it did start).
   */
  function settled(names: Iterable<string>, since: number): boolean {
    for (const name of names) {
      const d = sup(name);
      if (!d.spec.enabled) continue;
      if (d.isUp || d.state === "failed" || d.state === "stopped") continue;
      if (d.readyAt !== null && d.readyAt >= since) continue;
      if (d.state === "waiting" && blocked(name)) continue;
      return false;
    }
    return true;
  }

  function whenSettled(names: readonly string[], since: number): Promise<void> {
    if (settled(names, since)) return Promise.resolve();
    const done = deferred<void>();
    const check = () => {
      if (settled(names, since)) {
        settleWaiters.delete(check);
        done.resolve();
      }
    };
    settleWaiters.add(check);
    return done.promise;
  }

  function whenOneSettled(name: string, since: number): Promise<void> {
    return whenSettled([name], since);
  }

  function select(options: StartOptions): string[] {
    const picked: string[] = [];
    if (options.profile !== undefined) {
      const profile = config.profiles[options.profile];
      if (!profile) {
        const hint = suggest(options.profile, Object.keys(config.profiles));
        throw new ConfigError([
          `unknown profile "${options.profile}"${hint ? ` (did you mean "${hint}"?)` : ""}; profiles: ${Object.keys(config.profiles).join(", ") || "none defined"}`,
        ]);
      }
      picked.push(...profile.map(canonical));
      node.profile = options.profile;
    }
    if (options.daemons) picked.push(...options.daemons.map(canonical));
    if (options.categories) {
      const specs = currentSpecs();
      const known = new Set(specs.map((s) => s.category));
      for (const category of options.categories) {
        if (!known.has(category)) {
          const hint = suggest(category, known);
          throw new ConfigError([
            `unknown category "${category}"${hint ? ` (did you mean "${hint}"?)` : ""}; categories: ${[...known].sort().join(", ")}`,
          ]);
        }
        picked.push(...specs.filter((s) => s.category === category).map((s) => s.name));
      }
    }
    if (options.profile === undefined && !options.daemons && !options.categories) {
      picked.push(
        ...currentSpecs()
          .filter((s) => s.autoStart)
          .map((s) => s.name),
      );
    }
    return [...new Set(picked)].filter((name) => {
      if (sup(name).spec.enabled) return true;
      logger.warn(`${name} is disabled and will not start`);
      return false;
    });
  }

  function request(names: readonly string[]): string[] {
    for (const name of names) requested.add(name);
    const next = graph.closure(requested);
    pulledInBy.clear();
    for (const name of requested) {
      for (const dep of graph.closure([name])) {
        if (dep === name || requested.has(dep)) continue;
        const set = pulledInBy.get(dep) ?? new Set<string>();
        pulledInBy.set(dep, set);
        set.add(name);
      }
    }
    const added = [...next].filter((n) => !desired.has(n));
    desired = next;
    if (added.length > 0) durable?.wake();
    return added;
  }

  /**
   * Opens the store (a StoreError says what failed, before any daemon runs), then applies the
   * operator overrides saved in it as the last config layer.
   */
  async function openStoreOnce(): Promise<void> {
    persistence = await openPersistence({
      url: storeUrl,
      pollIntervalMs: config.storePollInterval,
      clock,
      node,
      logger,
    });
    await durable?.attach(bus, persistence.store);
    jobService = createJobService({
      store: persistence.store,
      clock,
      jobs: config.jobs,
      node,
      logger,
    });
    await jobService.start();
    storedOverrides = persistence.storedOverrides;
    if (Object.keys(storedOverrides).length > 0) {
      resolved = resolveConfig(config, { ...envOption, storedOverrides });
      for (const r of resolved.daemons.values()) sup(r.name).reconfigure(r.spec, r.config);
      for (const w of resolved.warnings) logger.warn(w);
    }
    for (const d of supervisors.values()) persistence.record(recordOf(d));
  }

  async function setOverrides(
    input: string,
    patch: Record<string, unknown>,
  ): Promise<ResolvedDaemon> {
    const name = canonical(input);
    const merged = { ...(storedOverrides[name] ?? {}), ...patch };
    for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
    const next = { ...storedOverrides, [name]: merged };
    const attempt = resolveConfig(config, { ...envOption, storedOverrides: next });
    const mine = attempt.daemons.get(name) as ResolvedDaemon;
    if (persistence) {
      const { enabled, autoStart, ...configOverrides } = merged;
      await persistence.store.setDaemonSettings(
        name,
        {
          enabled: typeof enabled === "boolean" ? enabled : null,
          autoStart: typeof autoStart === "boolean" ? autoStart : null,
          configOverrides: Object.keys(configOverrides).length > 0 ? configOverrides : null,
        },
        clock.now(),
      );
    }
    storedOverrides = next;
    resolved = attempt;
    const d = sup(name);
    if (d.isUp || d.state === "starting" || d.state === "stopping") pendingConfig.set(name, mine);
    else d.reconfigure(mine.spec, mine.config);
    return mine;
  }

  /**
   * With `deadLetterRetryInterval`, dead letters of handlers that failed are re-delivered that
   * often (a handler that keeps failing dead-letters them again; overflowed ones stay put).
   */
  let deadLetterTimer: ReturnType<Clock["setTimeout"]> | undefined;
  function startDeadLetterSweeper(): void {
    const every = config.deadLetterRetryInterval;
    if (every === undefined || deadLetterTimer !== undefined) return;
    const sweep = () => {
      deadLetterTimer = undefined;
      if (shuttingDown) return;
      const letters = bus.deadLetters().filter((l) => l.reason === "handler-failed");
      for (const letter of letters) void internals.retryDeadLetter(letter.id).catch(() => {});
      if (letters.length > 0) logger.info(`re-delivering ${letters.length} dead letter(s)`);
      deadLetterTimer = clock.setTimeout(sweep, every);
    };
    deadLetterTimer = clock.setTimeout(sweep, every);
  }

  async function start(options: StartOptions = {}): Promise<StartReport> {
    if (shuttingDown) throw new Error("cannot start: the manager is shutting down");
    const t0 = clock.now();
    const names = select(options);
    // Opening the store and the server: shutdown() waits for this phase, then closes them.
    const opening = (async () => {
      if (!persistence) await openStoreOnce();
      if (!http && resolved.settings.http && !shuttingDown) {
        const { startHttpServer } = await import("../http/server.js");
        http = await startHttpServer(handle, internals, {
          ...resolved.settings.http,
          apiToken: resolved.settings.apiToken,
          ...(jobService ? { jobs: jobService } : {}),
        });
        logger.info(`HTTP server listening on ${http.url}`);
        await persistence
          ?.setUrl(http.url)
          .catch((error) => logger.warn({ err: error }, "recording the node's url failed"));
      }
    })();
    startupPhase = opening.catch(() => {});
    await opening;
    if (shuttingDown) throw new Error("cannot start: the manager is shutting down");
    request(names);
    started = true;
    startDeadLetterSweeper();
    const targets = [...graph.closure(names)].filter((n) => sup(n).spec.enabled);
    const targetSet = new Set(targets);
    const order = topoOrder.filter((n) => targetSet.has(n));
    if (config.startup === "sequential") {
      const sequence = [
        ...(config.startupOrder ?? []).filter((n) => targetSet.has(n)),
        ...order.filter((n) => !config.startupOrder?.includes(n)),
      ];
      sequentialAllowed = new Set();
      for (const name of sequence) {
        if (shuttingDown) break;
        sequentialAllowed.add(name);
        const d = sup(name);
        if (d.state === "stopped") startIfReady(d);
        await whenOneSettled(name, t0);
      }
      sequentialAllowed = undefined;
    } else {
      for (const name of order) {
        const d = sup(name);
        if (d.state === "stopped") startIfReady(d);
      }
    }
    await whenSettled(targets, t0);
    const report: StartReport = {
      running: targets.filter((n) => sup(n).isUp),
      failed: targets.filter((n) => sup(n).state === "failed"),
      waiting: targets.filter((n) => !sup(n).isUp && sup(n).state !== "failed"),
      pulledIn: targets.filter((n) => !requested.has(n)),
      durationMs: clock.now() - t0,
    };
    emit("manager:ready", report);
    return report;
  }

  function statusOf(name: string): DaemonStatus {
    const d = sup(name);
    const { spec, stats } = d;
    return {
      name,
      description: spec.description,
      category: spec.category,
      state: d.state,
      ready: d.isUp,
      requested: desired.has(name),
      pulledInBy: [...(pulledInBy.get(name) ?? [])],
      waitingOn: d.state === "waiting" ? missingDeps(d) : [],
      health: d.currentHealth(),
      restarts: d.restarts,
      restartAttempt: d.restartAttempt,
      maxRestarts: spec.restart.maxRestarts,
      lastError: d.lastError,
      lastErrorAt: d.lastErrorAt,
      startedAt: d.isUp || d.state === "starting" ? d.startedAt : null,
      stoppedAt: d.stoppedAt,
      nextRestartAt: d.nextRestartAt,
      lastHeartbeatAt: d.lastHeartbeatAt,
      heartbeat: d.heartbeat,
      cycles: stats.cycles,
      cycleErrors: stats.cycleErrors,
      consecutiveErrors: stats.consecutiveErrors,
      lastCycleAt: stats.lastCycleAt,
      lastCycleDurationMs: stats.lastCycleDurationMs,
      dependsOn: [...spec.dependsOn],
      dependents: graph.dependentsOf(name),
      subscribes: [...spec.subscribes],
      emits: [...spec.emits],
      critical: spec.critical,
      enabled: spec.enabled,
      autoStart: spec.autoStart,
      deprecated: spec.deprecated ?? null,
      schedule: { interval: spec.interval ?? null, cron: spec.cron ?? null },
    };
  }

  function status(): DaemonStatus[];
  function status(name: string): DaemonStatus;
  function status(name?: string): DaemonStatus | DaemonStatus[] {
    if (name !== undefined) return statusOf(canonical(name));
    return topoOrder.map(statusOf);
  }

  function refuseWhileShuttingDown(operation: string, name: string): void {
    if (shuttingDown) throw new StateConflictError(name, "shutting down", operation);
  }

  async function startDaemon(input: string): Promise<DaemonStatus> {
    const since = clock.now();
    const name = canonical(input);
    refuseWhileShuttingDown("start", name);
    const d = sup(name);
    if (!d.spec.enabled) throw new StateConflictError(name, "disabled", "start");
    started = true;
    request([name]);
    launchWithDependencies(name);
    await whenOneSettled(name, since);
    return statusOf(name);
  }

  /** Starts `name` and whatever it needs that is not running, dependencies first. */
  function launchWithDependencies(name: string, reason?: string): void {
    const needed = graph.closure([name]);
    for (const dep of topoOrder) {
      if (!needed.has(dep)) continue;
      const x = sup(dep);
      if (x.state === "failed") x.resetBudget();
      if (x.state === "stopped" || x.state === "failed" || x.state === "waiting")
        startIfReady(x, dep === name ? reason : undefined);
    }
  }

  async function stopDaemon(input: string): Promise<DaemonStatus> {
    const name = canonical(input);
    refuseWhileShuttingDown("stop", name);
    requested.delete(name);
    await stopDependents(name, `dependency ${name} stopped`);
    desired.delete(name);
    await sup(name).stop("stopped", "stopped on request");
    return statusOf(name);
  }

  async function restartDaemon(input: string): Promise<DaemonStatus> {
    const since = clock.now();
    const name = canonical(input);
    refuseWhileShuttingDown("restart", name);
    const d = sup(name);
    if (!d.spec.enabled) throw new StateConflictError(name, "disabled", "restart");
    request([name]);
    await d.stop("waiting", "restart requested");
    d.restarts++;
    d.resetBudget();
    emit("daemon:restart", {
      name,
      attempt: 0,
      delayMs: 0,
      at: clock.now(),
      error: "restart requested",
    });
    // A stop (or shutdown) that came in meanwhile wins.
    if (!shuttingDown && desired.has(name)) launchWithDependencies(name, "restart requested");
    await whenOneSettled(name, since);
    return statusOf(name);
  }

  async function pauseDaemon(input: string): Promise<DaemonStatus> {
    const name = canonical(input);
    const d = sup(name);
    refuseWhileShuttingDown("pause", name);
    if (d.state !== "running") throw new StateConflictError(name, d.state, "pause");
    d.pause();
    // Lets a handler already running finish, but never waits longer than a stop would.
    await withTimeout(clock, bus.idle(name), d.spec.stopTimeout);
    return statusOf(name);
  }

  async function resumeDaemon(input: string): Promise<DaemonStatus> {
    const name = canonical(input);
    const d = sup(name);
    if (d.state !== "paused") throw new StateConflictError(name, d.state, "resume");
    d.resume();
    return statusOf(name);
  }

  function checkHealth(input: string): Promise<HealthReport> {
    return sup(canonical(input)).checkHealth();
  }

  function liveness(): ProbeReport {
    const reasons: string[] = [];
    for (const name of desired) {
      const d = sup(name);
      if (!d.spec.critical || !d.spec.enabled) continue;
      if (d.state === "failed")
        reasons.push(`${name}: failed${d.lastError ? ` (${d.lastError})` : ""}`);
      else if (d.isUp && d.healthStatus() === "unhealthy") {
        reasons.push(`${name}: unhealthy (${d.currentHealth().message})`);
      }
    }
    const store = persistence?.health();
    if (store && !store.ok) {
      const warning = `store ${store.degraded ? "degraded" : "not ok"}: ${store.message} (${store.buffered} writes buffered, ${store.dropped} dropped)`;
      return { ok: reasons.length === 0, reasons, warnings: [warning] };
    }
    return { ok: reasons.length === 0, reasons };
  }

  function readiness(): ProbeReport {
    const reasons: string[] = [];
    if (shuttingDown) reasons.push("shutting down");
    if (!started) reasons.push("not started");
    for (const name of topoOrder) {
      if (!desired.has(name)) continue;
      const d = sup(name);
      if (d.isUp || !d.spec.enabled) continue;
      if (d.state === "waiting")
        reasons.push(`${name}: waiting on ${missingDeps(d).join(", ") || "its turn"}`);
      else if (d.state === "backoff")
        reasons.push(
          `${name}: backoff (restart ${d.restartAttempt}/${d.spec.restart.maxRestarts} in ${formatDuration(Math.max(0, (d.nextRestartAt ?? clock.now()) - clock.now()))})`,
        );
      else
        reasons.push(
          `${name}: ${d.state}${d.lastError && d.state === "failed" ? ` (${d.lastError})` : ""}`,
        );
    }
    return { ok: reasons.length === 0, reasons };
  }

  async function shutdown(opts: { timeout?: number } = {}): Promise<ShutdownReport> {
    if (shutdownPromise) return shutdownPromise;
    shuttingDown = true;
    if (deadLetterTimer !== undefined) clock.clearTimeout(deadLetterTimer);
    const t0 = clock.now();
    emit("manager:shutdown", { at: t0 });
    const report: ShutdownReport = { stopped: [], unstopped: [], durationMs: 0 };
    /** Set when the report is final: a daemon that stops after the timeout is not added twice. */
    let final = false;
    const done = new Map<string, Promise<void>>();
    const stopOne = (name: string): Promise<void> => {
      let p = done.get(name);
      if (p) return p;
      p = (async () => {
        await Promise.all(graph.dependentsOf(name).map(stopOne));
        const d = sup(name);
        const wasActive = d.state !== "stopped";
        const result = await d.stop("stopped", "shutdown");
        if (!wasActive || final) return;
        if (result.ok) report.stopped.push({ name, durationMs: result.durationMs });
        else report.unstopped.push({ name, reason: result.reason ?? "did not stop" });
      })();
      done.set(name, p);
      return p;
    };
    const timeout = opts.timeout ?? config.shutdownTimeout;
    /** What is left of the timeout, but a little time for closing the store and server anyway. */
    const remaining = () => Math.max(CLOSE_GRACE, timeout - (clock.now() - t0));
    const bounded = async (what: string, work: Promise<unknown> | undefined) => {
      if (!work) return;
      const outcome = await withTimeout(
        clock,
        work.catch((error) => logger.warn({ err: error }, `${what} failed`)),
        remaining(),
      );
      if (!outcome.ok) logger.warn(`${what} did not finish in time; going on`);
    };
    shutdownPromise = (async () => {
      await bounded("opening the store and server", startupPhase);
      const all = Promise.all(graph.reverseOrder().map(stopOne)).then(() => {});
      const outcome = await withTimeout(clock, all, timeout);
      final = true;
      if (!outcome.ok) {
        const reported = new Set([...report.stopped, ...report.unstopped].map((r) => r.name));
        for (const d of supervisors.values()) {
          if (d.state !== "stopped" && !reported.has(d.name))
            report.unstopped.push({
              name: d.name,
              reason: `still ${d.state} when the shutdown timeout (${formatDuration(timeout)}) ran out`,
            });
        }
      }
      await bounded("closing the HTTP server", http?.close());
      await bounded("stopping the job service", jobService?.stop(remaining()));
      await bounded("writing pending events", durable?.close());
      bus.close();
      if (persistence) {
        // Every daemon's final record, written before the store closes.
        for (const d of supervisors.values()) persistence.record(recordOf(d));
        await bounded("writing the final daemon records", persistence.store.writes.flush());
      }
      await bounded("closing the store", persistence?.close());
      report.durationMs = clock.now() - t0;
      for (const u of report.unstopped) logger.warn(`${u.name} did not stop: ${u.reason}`);
      emit("manager:stopped", report);
      return report;
    })();
    return shutdownPromise;
  }

  if (options.handleSignals) installSignalHandlers(() => shutdown(), logger);

  const internals: ManagerInternals = {
    config,
    graph,
    logger,
    node,
    get resolved() {
      return resolved;
    },
    bus,
    queryLogs: async (query) => {
      if (!persistence || persistence.store.kind === "memory") return logRing.query(query);
      // Lines still in the write buffer belong in the answer too.
      await persistence.store.writes.flush().catch(() => {});
      const rows = await persistence.store.queryLogs({
        ...query,
        order: "desc",
        limit: query.limit ?? 1000,
      });
      return rows.reverse().map((r: import("../store/types.js").StoredLog) => ({
        id: r.id,
        at: r.time,
        daemon: r.daemon,
        level: r.level,
        message: r.message,
        fields: r.fields,
      }));
    },
    get store() {
      return persistence?.store;
    },
    get jobs() {
      return jobService;
    },
    storeHealth: () => persistence?.health(),
    async listDeadLetters() {
      const live = bus.deadLetters();
      if (!persistence || !durable) return live;
      const stored = await persistence.store.listDeadLetters({ limit: 10_000 });
      const seen = new Set(live.map((l) => l.id));
      return [...stored.filter((l) => !seen.has(l.id)), ...live];
    },
    async retryDeadLetter(id) {
      const store = durable ? persistence?.store : undefined;
      if (bus.retryDeadLetter(id)) {
        await store?.removeDeadLetter(id);
        return true;
      }
      if (!store) return false;
      const letter = (await store.listDeadLetters({ limit: 10_000 })).find((l) => l.id === id);
      if (!letter || !bus.inject(letter.subscriber, letter.event)) return false;
      await store.removeDeadLetter(id);
      return true;
    },
    setOverrides,
    get shuttingDown() {
      return shuttingDown;
    },
    get started() {
      return started;
    },
    canonical,
  };

  const handle: Manager & { [INTERNALS]: ManagerInternals } = {
    events: bus,
    clock,
    get url() {
      return http?.url;
    },
    start,
    status,
    startDaemon,
    stopDaemon,
    restartDaemon,
    pauseDaemon,
    resumeDaemon,
    checkHealth,
    liveness,
    readiness,
    on: (event, listener) => emitter.on(event, listener),
    shutdown,
    [INTERNALS]: internals,
  };
  return handle;
}

/** SIGTERM/SIGINT shut down gracefully; a second signal exits at once. */
function installSignalHandlers(shutdown: () => Promise<ShutdownReport>, logger: Logger): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    logger.info(`${signal}: shutting down (send it again to exit at once)`);
    shutdown().then(
      (report) => process.exit(report.unstopped.length === 0 ? 0 : 1),
      (error) => {
        logger.error({ err: error }, `shutdown failed: ${describeError(coerceError(error))}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
