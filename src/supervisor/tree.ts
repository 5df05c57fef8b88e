import type { Clock } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import { StateConflictError, UnknownDaemonError } from "../registry/errors.js";
import type { DependencyGraph } from "../registry/graph.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonSpec } from "../registry/types.js";
import { DaemonSupervisor, type SupervisorHost } from "./daemon.js";
import type { DaemonState, ShutdownReport } from "./types.js";

/** The host of every daemon supervisor, less what the tree itself answers. */
export type TreeHost = Omit<SupervisorHost, "onState" | "onBackoffElapsed">;

export interface SupervisionTreeOptions {
  /** The one dependency graph: start order, stop order, propagation. */
  graph: DependencyGraph;
  clock: Clock;
  host: TreeHost;
  /** Every daemon with its resolved config, in any order. */
  daemons: Iterable<{ spec: DaemonSpec; config: Readonly<Record<string, unknown>> }>;
  startup: "parallel" | "sequential";
  startupOrder?: readonly string[] | undefined;
  /** Called before a daemon that is between runs is started (to apply a pending config). */
  beforeStart?(daemon: DaemonSupervisor): void;
  /** Called after every state change of every daemon. */
  onState?(daemon: DaemonSupervisor): void;
  /** Called when daemons were added to the desired set. */
  onDesiredGrew?(): void;
}

/**
 * The supervision tree: which daemons are requested and which are desired (the requested ones and
 * everything they depend on), starting along the dependency graph (parallel or sequential),
 * stopping the dependents of a failed or stopped dependency and starting them again when it
 * runs, and the reverse-order shutdown. It does no I/O; each daemon's own work is its supervisor's.
 */
export function createSupervisionTree(options: SupervisionTreeOptions) {
  const { graph, clock } = options;
  const supervisors = new Map<string, DaemonSupervisor>();
  /** Daemons asked for directly. */
  const requested = new Set<string>();
  /** Daemons that should run: the requested ones and everything they depend on. */
  let desired = new Set<string>();
  const pulledInBy = new Map<string, Set<string>>();
  let shuttingDown = false;
  const settleWaiters = new Set<() => void>();
  /** The graph never changes after creation: its start order is computed once. */
  const topoOrder = graph.topologicalOrder();
  const byLowerName = new Map<string, string>();

  const host: SupervisorHost = {
    ...options.host,
    onState: (daemon, from, to) => onState(daemon, from, to),
    onBackoffElapsed: (daemon) => {
      if (shuttingDown || !desired.has(daemon.name)) return;
      startIfReady(daemon, `restart ${daemon.restartAttempt}/${daemon.spec.restart.maxRestarts}`);
    },
  };
  for (const { spec, config } of options.daemons) {
    supervisors.set(spec.name, new DaemonSupervisor(spec, config, host));
    byLowerName.set(spec.name.toLowerCase(), spec.name);
  }

  const sup = (name: string) => supervisors.get(name) as DaemonSupervisor;

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
      options.beforeStart?.(daemon);
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
    options.onState?.(daemon);
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

  /** Resolves once every one of `names` has come to rest (see `settled`). */
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

  /** Adds `names` to the requested set; the desired set becomes their dependency closure. */
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
    if (added.length > 0) options.onDesiredGrew?.();
    return added;
  }

  /**
   * Requests `names` and starts them with what they need along the graph: all at once as their
   * dependencies become ready (parallel), or one at a time in `startupOrder` (sequential).
   * Resolves with the targets (the enabled daemons of the closure) once they have come to rest.
   */
  async function startSet(names: readonly string[], since: number): Promise<string[]> {
    request(names);
    const targets = [...graph.closure(names)].filter((n) => sup(n).spec.enabled);
    const targetSet = new Set(targets);
    const order = topoOrder.filter((n) => targetSet.has(n));
    if (options.startup === "sequential") {
      const sequence = [
        ...(options.startupOrder ?? []).filter((n) => targetSet.has(n)),
        ...order.filter((n) => !options.startupOrder?.includes(n)),
      ];
      sequentialAllowed = new Set();
      for (const name of sequence) {
        if (shuttingDown) break;
        sequentialAllowed.add(name);
        const d = sup(name);
        if (d.state === "stopped") startIfReady(d);
        await whenSettled([name], since);
      }
      sequentialAllowed = undefined;
    } else {
      for (const name of order) {
        const d = sup(name);
        if (d.state === "stopped") startIfReady(d);
      }
    }
    await whenSettled(targets, since);
    return targets;
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

  function refuseWhileShuttingDown(operation: string, name: string): void {
    if (shuttingDown) throw new StateConflictError(name, "shutting down", operation);
  }

  /**
   * Requests one daemon and starts it with its dependencies; resolves once it came to rest.
   * `accepted` is called once the request passed its checks (not shutting down, enabled).
   */
  async function startOne(name: string, accepted?: () => void): Promise<void> {
    const since = clock.now();
    refuseWhileShuttingDown("start", name);
    if (!sup(name).spec.enabled) throw new StateConflictError(name, "disabled", "start");
    accepted?.();
    request([name]);
    launchWithDependencies(name);
    await whenSettled([name], since);
  }

  /** Stops its dependents (they wait), then the daemon; it is no longer requested. */
  async function stopOne(name: string): Promise<void> {
    refuseWhileShuttingDown("stop", name);
    requested.delete(name);
    await stopDependents(name, `dependency ${name} stopped`);
    desired.delete(name);
    await sup(name).stop("stopped", "stopped on request");
  }

  /** Stops and starts one daemon again, with a fresh restart budget. */
  async function restartOne(name: string): Promise<void> {
    const since = clock.now();
    refuseWhileShuttingDown("restart", name);
    const d = sup(name);
    if (!d.spec.enabled) throw new StateConflictError(name, "disabled", "restart");
    request([name]);
    await d.stop("waiting", "restart requested");
    d.restarts++;
    d.resetBudget();
    host.emit("daemon:restart", {
      name,
      attempt: 0,
      delayMs: 0,
      at: clock.now(),
      error: "restart requested",
    });
    // A stop (or shutdown) that came in meanwhile wins.
    if (!shuttingDown && desired.has(name)) launchWithDependencies(name, "restart requested");
    await whenSettled([name], since);
  }

  /**
   * Stops every daemon in reverse dependency order (dependents first, independent ones together),
   * each within its own stopTimeout; after `timeout` ms the report names every daemon still up.
   * Nothing starts again once this has been called.
   */
  /**
   * Stops every daemon, dependents first; each gets its own stopTimeout from the moment it is
   * asked. `timeout` (ms; none when undefined) bounds the whole: when it runs out, every daemon
   * not asked yet is asked at once, without waiting for its dependents, and each one not stopped
   * is reported as unstopped.
   */
  async function shutdownAll(timeout: number | undefined): Promise<DaemonsStopReport> {
    shuttingDown = true;
    const report: DaemonsStopReport = { stopped: [], unstopped: [] };
    /** Set when the report is final: a daemon that stops after the timeout is not added twice. */
    let final = false;
    const done = new Map<string, Promise<void>>();
    const asked = new Set<string>();
    const stopInOrder = (name: string): Promise<void> => {
      let p = done.get(name);
      if (p) return p;
      p = (async () => {
        await Promise.all(graph.dependentsOf(name).map(stopInOrder));
        const d = sup(name);
        const wasActive = d.state !== "stopped";
        asked.add(name);
        const result = await d.stop("stopped", "shutdown");
        if (!wasActive || final) return;
        if (result.ok) report.stopped.push({ name, durationMs: result.durationMs });
        else report.unstopped.push({ name, reason: result.reason ?? "did not stop" });
      })();
      done.set(name, p);
      return p;
    };
    const all = Promise.all(graph.reverseOrder().map(stopInOrder)).then(() => {});
    const outcome = await withTimeout(clock, all, timeout);
    final = true;
    if (!outcome.ok) {
      const reported = new Set([...report.stopped, ...report.unstopped].map((r) => r.name));
      const limit = formatDuration(timeout ?? 0);
      for (const d of supervisors.values()) {
        if (d.state === "stopped" || reported.has(d.name)) continue;
        if (asked.has(d.name)) {
          report.unstopped.push({
            name: d.name,
            reason: `still ${d.state} when the shutdown timeout (${limit}) ran out`,
          });
          continue;
        }
        // Never asked (a dependent was still stopping): asked now, so its cleanup still runs.
        asked.add(d.name);
        void d.stop("stopped", "shutdown timeout ran out");
        report.unstopped.push({
          name: d.name,
          reason: `asked to stop only when the shutdown timeout (${limit}) ran out; its stopTimeout runs from then`,
        });
      }
    }
    return report;
  }

  return {
    graph,
    topoOrder,
    supervisors,
    sup,
    canonical,
    missingDeps,
    /** Whether `name` should run (requested, or pulled in by a requested daemon). */
    isDesired: (name: string) => desired.has(name),
    desiredNames: () => desired.values(),
    isRequested: (name: string) => requested.has(name),
    pulledInBy: (name: string) => [...(pulledInBy.get(name) ?? [])],
    get shuttingDown() {
      return shuttingDown;
    },
    /** Refuses new starts from now on (shutdown began); the daemons stop with `shutdownAll`. */
    beginShutdown() {
      shuttingDown = true;
    },
    startSet,
    startOne,
    stopOne,
    restartOne,
    shutdownAll,
    refuseWhileShuttingDown,
  };
}

export type SupervisionTree = ReturnType<typeof createSupervisionTree>;

/** The daemons' part of a shutdown report. */
export type DaemonsStopReport = Pick<ShutdownReport, "stopped" | "unstopped">;
