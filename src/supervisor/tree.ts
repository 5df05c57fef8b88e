import type { Clock } from "../internal/clock.js";
import { StateConflictError, UnknownDaemonError } from "../registry/errors.js";
import type { DependencyGraph } from "../registry/graph.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonSpec } from "../registry/types.js";
import { DaemonSupervisor, type SupervisorHost } from "./daemon.js";
import { DesiredSet } from "./tree-desired.js";
import { SettleWatch } from "./tree-settle.js";
import { type DaemonsStopReport, stopAllInReverse } from "./tree-shutdown.js";
import type { DaemonState } from "./types.js";

export type { DaemonsStopReport } from "./tree-shutdown.js";

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
  /**
   * Whether `name` may run on this node now: false for a `scope: "cluster"` daemon whose lease
   * this node does not hold, which then waits in `standby` (DESIGN.md §8). Default: always.
   */
  mayRun?(name: string): boolean;
}

/**
 * The supervision tree: which daemons are requested and which are desired (the requested ones and
 * everything they depend on), starting along the dependency graph (parallel or sequential),
 * stopping the dependents of a failed or stopped dependency and starting them again when it
 * runs, and the reverse-order shutdown. It does no I/O; each daemon's own work is its supervisor's.
 */
export class SupervisionTree {
  readonly graph: DependencyGraph;
  /** The graph never changes after creation: its start order is computed once. */
  readonly topoOrder: readonly string[];
  readonly supervisors = new Map<string, DaemonSupervisor>();
  private readonly clock: Clock;
  private readonly set: DesiredSet;
  private readonly settle: SettleWatch;
  private readonly byLowerName = new Map<string, string>();
  private readonly host: SupervisorHost;
  private stopping = false;
  /** In sequential start-up, the daemons whose turn has come; undefined otherwise. */
  private sequentialAllowed: Set<string> | undefined;

  constructor(private readonly options: SupervisionTreeOptions) {
    this.graph = options.graph;
    this.clock = options.clock;
    this.topoOrder = options.graph.topologicalOrder();
    this.set = new DesiredSet(options.graph);
    this.settle = new SettleWatch(this.supervisors, (name) => this.set.desired.has(name));
    this.host = {
      ...options.host,
      onState: (daemon, from, to) => this.onState(daemon, from, to),
      onBackoffElapsed: (daemon) => {
        if (this.stopping || !this.set.desired.has(daemon.name)) return;
        const budget = `${daemon.restartAttempt}/${daemon.spec.restart.maxRestarts}`;
        this.startIfReady(daemon, `restart ${budget}`);
      },
    };
    for (const { spec, config } of options.daemons) {
      this.supervisors.set(spec.name, new DaemonSupervisor(spec, config, this.host));
      this.byLowerName.set(spec.name.toLowerCase(), spec.name);
    }
  }

  readonly sup = (name: string): DaemonSupervisor => this.supervisors.get(name) as DaemonSupervisor;

  /** Canonical name for user input in any case, or throws UnknownDaemonError with a suggestion. */
  readonly canonical = (name: string): string => {
    const found = this.supervisors.has(name)
      ? name
      : this.byLowerName.get(String(name).toLowerCase());
    if (!found) throw new UnknownDaemonError(name, suggest(name, this.supervisors.keys()));
    return found;
  };

  readonly missingDeps = (daemon: DaemonSupervisor): string[] =>
    daemon.spec.dependsOn.filter((dep) => !this.supervisors.get(dep)?.isUp);

  /** Whether `name` should run (requested, or pulled in by a requested daemon). */
  readonly isDesired = (name: string): boolean => this.set.desired.has(name);

  readonly desiredNames = (): IterableIterator<string> => this.set.desired.values();

  readonly isRequested = (name: string): boolean => this.set.requested.has(name);

  readonly pulledInBy = (name: string): string[] => this.set.pulledInBy(name);

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Refuses new starts from now on (shutdown began); the daemons stop with `shutdownAll`. */
  beginShutdown(): void {
    this.stopping = true;
  }

  refuseWhileShuttingDown(operation: string, name: string): void {
    if (this.stopping) throw new StateConflictError(name, "shutting down", operation);
  }

  /**
   * Requests `names` and starts them with what they need along the graph: all at once as their
   * dependencies become ready (parallel), or one at a time in `startupOrder` (sequential).
   * Resolves with the targets (the enabled daemons of the closure) once they have come to rest.
   */
  async startSet(names: readonly string[], since: number): Promise<string[]> {
    this.request(names);
    const targets = [...this.graph.closure(names)].filter((n) => this.sup(n).spec.enabled);
    const targetSet = new Set(targets);
    const order = this.topoOrder.filter((n) => targetSet.has(n));
    if (this.options.startup === "sequential") {
      const startupOrder = this.options.startupOrder ?? [];
      const sequence = [
        ...startupOrder.filter((n) => targetSet.has(n)),
        ...order.filter((n) => !startupOrder.includes(n)),
      ];
      this.sequentialAllowed = new Set();
      for (const name of sequence) {
        if (this.stopping) break;
        this.sequentialAllowed.add(name);
        const d = this.sup(name);
        if (d.state === "stopped") this.startIfReady(d);
        await this.settle.whenSettled([name], since);
      }
      this.sequentialAllowed = undefined;
    } else {
      for (const name of order) {
        const d = this.sup(name);
        if (d.state === "stopped") this.startIfReady(d);
      }
    }
    await this.settle.whenSettled(targets, since);
    return targets;
  }

  /**
   * Requests one daemon and starts it with its dependencies; resolves once it came to rest.
   * `accepted` is called once the request passed its checks (not shutting down, enabled).
   */
  async startOne(name: string, accepted?: () => void): Promise<void> {
    const since = this.clock.now();
    this.refuseWhileShuttingDown("start", name);
    if (!this.sup(name).spec.enabled) throw new StateConflictError(name, "disabled", "start");
    accepted?.();
    this.request([name]);
    this.launchWithDependencies(name);
    await this.settle.whenSettled([name], since);
  }

  /** Stops its dependents (they wait), then the daemon; it is no longer requested. */
  async stopOne(name: string): Promise<void> {
    this.refuseWhileShuttingDown("stop", name);
    this.set.requested.delete(name);
    await this.stopDependents(name, `dependency ${name} stopped`);
    this.set.drop(name);
    await this.sup(name).stop("stopped", "stopped on request");
  }

  /** Stops and starts one daemon again, with a fresh restart budget. */
  async restartOne(name: string): Promise<void> {
    const since = this.clock.now();
    this.refuseWhileShuttingDown("restart", name);
    const d = this.sup(name);
    if (!d.spec.enabled) throw new StateConflictError(name, "disabled", "restart");
    this.request([name]);
    await d.stop("waiting", "restart requested");
    d.restarts++;
    d.resetBudget();
    this.host.emit("daemon:restart", {
      name,
      attempt: 0,
      delayMs: 0,
      at: this.clock.now(),
      error: "restart requested",
    });
    // A stop (or shutdown) that came in meanwhile wins.
    if (!this.stopping && this.set.desired.has(name))
      this.launchWithDependencies(name, "restart requested");
    await this.settle.whenSettled([name], since);
  }

  /**
   * Stops every daemon in reverse dependency order (see `stopAllInReverse`); nothing starts
   * again once this has been called.
   */
  shutdownAll(timeout: number | undefined): Promise<DaemonsStopReport> {
    this.stopping = true;
    return stopAllInReverse(this.graph, this.supervisors, this.clock, timeout);
  }

  /** This node acquired the lease of cluster daemon `name`: it starts here if it is wanted. */
  leaseGranted(name: string): void {
    const d = this.sup(name);
    if (this.stopping || !this.set.desired.has(name)) return;
    if (d.state === "standby" || d.state === "stopped") this.startIfReady(d);
  }

  /**
   * This node no longer holds the lease of cluster daemon `name`: it stops at once (its signal
   * aborts now) and waits in `standby`; its dependents here return to `waiting`. Resolves once
   * it has stopped.
   */
  async leaseLost(name: string, reason: string): Promise<void> {
    const d = this.sup(name);
    if (d.state === "stopped" || d.state === "standby") return;
    const target = this.stopping || !this.set.desired.has(name) ? "stopped" : "standby";
    await Promise.all([d.stop(target, reason), this.stopDependents(name, reason)]);
  }

  /** Adds `names` to the requested set; tells the host when the desired set grew. */
  private request(names: readonly string[]): void {
    if (this.set.request(names).length > 0) this.options.onDesiredGrew?.();
  }

  /** Starts `daemon` if every dependency is up; otherwise it waits. */
  private startIfReady(daemon: DaemonSupervisor, reason?: string): void {
    if (this.stopping) return;
    if (daemon.state !== "running" && daemon.state !== "paused" && daemon.state !== "starting")
      this.options.beforeStart?.(daemon);
    if (!daemon.spec.enabled) {
      if (daemon.state !== "stopped") void daemon.stop("stopped", "disabled");
      return;
    }
    if (this.options.mayRun && !this.options.mayRun(daemon.name)) {
      if (!daemon.isUp && daemon.state !== "starting") daemon.standby("runs on the lease holder");
      return;
    }
    const missing = this.missingDeps(daemon);
    if (missing.length > 0) {
      daemon.wait(`waiting on ${missing.join(", ")}`);
      return;
    }
    daemon.launch(reason);
  }

  /** Starts `name` and whatever it needs that is not running, dependencies first. */
  private launchWithDependencies(name: string, reason?: string): void {
    const needed = this.graph.closure([name]);
    for (const dep of this.topoOrder) {
      if (!needed.has(dep)) continue;
      const x = this.sup(dep);
      if (x.state === "failed") x.resetBudget();
      if (
        x.state === "stopped" ||
        x.state === "failed" ||
        x.state === "waiting" ||
        x.state === "standby"
      )
        this.startIfReady(x, dep === name ? reason : undefined);
    }
  }

  private onState(daemon: DaemonSupervisor, _from: DaemonState, to: DaemonState): void {
    this.options.onState?.(daemon);
    if (to === "running" && !this.stopping) {
      for (const dependent of this.graph.dependentsOf(daemon.name)) {
        const d = this.sup(dependent);
        const turn = !this.sequentialAllowed || this.sequentialAllowed.has(dependent);
        if (this.set.desired.has(dependent) && d.state === "waiting" && turn) this.startIfReady(d);
      }
    }
    if ((to === "failed" || to === "stopped" || to === "standby") && !this.stopping) {
      const why = to === "standby" ? "moved to another node" : to;
      void this.stopDependents(daemon.name, `dependency ${daemon.name} ${why}`);
    }
    this.settle.schedule();
  }

  /** Stops the running dependents of `name`, dependents first; they return to `waiting`. */
  private async stopDependents(name: string, reason: string): Promise<void> {
    const affected = this.graph.dependentsClosure([name]);
    const order = this.graph.reverseOrder().filter((n) => affected.has(n));
    for (const dependent of order) {
      const d = this.sup(dependent);
      if (!this.set.desired.has(dependent)) continue;
      if (
        d.state === "starting" ||
        d.state === "running" ||
        d.state === "paused" ||
        d.state === "backoff"
      ) {
        await d.stop("waiting", reason);
        // The dependency may be back already (it restarted while this one was stopping).
        if (
          !this.stopping &&
          this.set.desired.has(dependent) &&
          (d.state as DaemonState) === "waiting"
        )
          this.startIfReady(d);
      } else if (d.state === "stopped") {
        d.wait(reason);
      }
    }
  }
}

/** Builds the tree for `options` (see {@link SupervisionTree}). */
export function createSupervisionTree(options: SupervisionTreeOptions): SupervisionTree {
  return new SupervisionTree(options);
}
