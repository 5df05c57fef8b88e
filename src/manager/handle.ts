import type { SafeEmitter } from "../internal/safe-emitter.js";
import { withTimeout } from "../internal/sleep.js";
import { StateConflictError } from "../registry/errors.js";
import {
  categories,
  daemonsByCategory,
  deprecatedDaemons,
  registryHealth,
} from "../registry/queries.js";
import type { HealthReport } from "../registry/types.js";
import type { StoreHealth } from "../store/types.js";
import { selectDaemons } from "../supervisor/select.js";
import { livenessReasons, readiness, statusOf } from "../supervisor/status.js";
import type { SupervisionTree } from "../supervisor/tree.js";
import type {
  DaemonStatus,
  Manager,
  ManagerEvents,
  ProbeReport,
  ProbeStoreReport,
  ShutdownReport,
  StartOptions,
  StartReport,
} from "../supervisor/types.js";
import { PART_TIMEOUTS } from "./defaults.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Runtime } from "./runtime.js";

type Emitter = SafeEmitter<{ [K in keyof ManagerEvents]: ManagerEvents[K] }>;

/**
 * The manager's public handle (DESIGN.md §4) over its runtime: `start()` brings the parts up
 * through the lifecycle, then the daemons through the supervision tree; `shutdown()` stops the
 * daemons through the tree, then the parts backwards. Everything else asks the tree.
 */
export function createHandle(rt: Runtime, lifecycle: Lifecycle, emitter: Emitter): Manager {
  const { tree, clock, config, logger } = rt;
  /** Aborted when shutdown begins: the parts still starting stop starting. */
  const shutdownSignal = new AbortController();
  let shutdownPromise: Promise<ShutdownReport> | undefined;
  const refuse = () => new Error("cannot start: the manager is shutting down");

  async function start(options: StartOptions = {}): Promise<StartReport> {
    if (tree.shuttingDown) throw refuse();
    const t0 = clock.now();
    const names = selectDaemons(options, {
      profiles: config.profiles,
      specs: [...tree.supervisors.values()].map((d) => d.spec),
      canonical: (name) => tree.canonical(name),
      enabled: (name) => tree.sup(name).spec.enabled,
      onDisabled: (name) => logger.warn(`${name} is disabled and will not start`),
      onProfile: (profile) => {
        rt.node.profile = profile;
        rt.node.id = rt.nodeIdFor(profile);
      },
    });
    rt.selection = names;
    await lifecycle.start(shutdownSignal.signal);
    if (tree.shuttingDown) throw refuse();
    rt.started = true;
    const targets = await tree.startSet(names, t0);
    const report = startReport(tree, targets, clock.now() - t0);
    rt.emit("manager:ready", report);
    return report;
  }

  function status(): DaemonStatus[];
  function status(name: string): DaemonStatus;
  function status(name?: string): DaemonStatus | DaemonStatus[] {
    if (name !== undefined) return statusOf(tree, tree.canonical(name));
    return tree.topoOrder.map((n) => statusOf(tree, n));
  }

  /** Runs `action` on the canonical name, then answers with the daemon's status. */
  const act =
    (action: (name: string) => Promise<void> | void) =>
    async (input: string): Promise<DaemonStatus> => {
      const name = tree.canonical(input);
      await action(name);
      return statusOf(tree, name);
    };

  async function pause(name: string): Promise<void> {
    const d = tree.sup(name);
    tree.refuseWhileShuttingDown("pause", name);
    if (d.state !== "running") throw new StateConflictError(name, d.state, "pause");
    d.pause();
    // Lets a handler already running finish, but never waits longer than a stop would.
    await withTimeout(clock, rt.bus.idle(name), d.spec.stopTimeout);
  }

  function resume(name: string): void {
    const d = tree.sup(name);
    if (d.state !== "paused") throw new StateConflictError(name, d.state, "resume");
    d.resume();
  }

  function liveness(): ProbeReport {
    const reasons = livenessReasons(tree);
    const store = rt.persistence?.health();
    const warnings = storeWarnings(store);
    return {
      ok: reasons.length === 0,
      reasons,
      ...(warnings.length > 0 && store ? { warnings, store: storeReport(store) } : {}),
    };
  }

  /**
   * Stops the daemons (each within its own stopTimeout; `timeout`, when given, bounds them all),
   * then the parts within what is left of `timeout`, else of the shutdownTimeout setting.
   */
  async function runShutdown(
    timeout: number | undefined,
    t0: number,
    cause: string | undefined,
  ): Promise<ShutdownReport> {
    const partsTimeout = timeout ?? rt.layers.resolved.settings.shutdownTimeout;
    /** What is left of the timeout, but a little time for closing the parts anyway. */
    const remaining = () => Math.max(PART_TIMEOUTS.closeGrace, partsTimeout - (clock.now() - t0));
    if (!(await lifecycle.idle(remaining())))
      logger.warn("opening the store and server did not finish in time; going on");
    const daemons = await tree.shutdownAll(timeout);
    const parts = await lifecycle.stop(remaining);
    rt.bus.close();
    for (const p of parts) if (!p.ok) logger.warn(`${p.error}; going on`);
    const report: ShutdownReport = {
      ...daemons,
      durationMs: clock.now() - t0,
      parts,
      ...(cause ? { cause } : {}),
    };
    for (const u of report.unstopped) logger.warn(`${u.name} did not stop: ${u.reason}`);
    rt.emit("manager:stopped", report);
    return report;
  }

  const handle: Manager = {
    events: rt.bus,
    clock,
    get url() {
      return rt.http?.url;
    },
    start,
    status,
    startDaemon: act((name) =>
      tree.startOne(name, () => {
        rt.started = true;
      }),
    ),
    stopDaemon: act((name) => tree.stopOne(name)),
    restartDaemon: act((name) => tree.restartOne(name)),
    pauseDaemon: act(pause),
    resumeDaemon: act(resume),
    checkHealth: (input: string): Promise<HealthReport> =>
      tree.sup(tree.canonical(input)).checkHealth(),
    liveness,
    categories: () => categories(config),
    daemonsByCategory: (category) => daemonsByCategory(config, category),
    deprecatedDaemons: () => deprecatedDaemons(config),
    registryHealth: () => registryHealth(config),
    readiness: () => readiness(tree, rt.started, clock),
    on: (event, listener) => emitter.on(event, listener),
    shutdown(opts = {}) {
      if (shutdownPromise) return shutdownPromise;
      tree.beginShutdown();
      shutdownSignal.abort();
      // Leaving first: the other nodes stop counting this one, so the leases it releases as its
      // cluster daemons stop are taken at once (DESIGN.md §8: hand-over within a second).
      void rt.persistence?.membership
        .leave()
        .catch((error) => logger.warn({ err: error }, "leaving the cluster failed"));
      rt.cluster?.wake();
      const t0 = clock.now();
      if (opts.cause) logger.error(`shutting down: ${opts.cause}`);
      rt.emit("manager:shutdown", { at: t0, ...(opts.cause ? { cause: opts.cause } : {}) });
      shutdownPromise = runShutdown(opts.timeout, t0, opts.cause);
      return shutdownPromise;
    },
  };
  return handle;
}

/**
 * What `/health` warns about the store without failing: degraded (unreachable), or writes still
 * waiting in the outage spool, with the bytes buffered in memory and the rows spooled.
 */
function storeWarnings(store: StoreHealth | undefined): string[] {
  if (!store || (store.ok && store.spooled === 0)) return [];
  // The store's message leads with its state and counts; the warning says them once, here.
  const reason = store.ok
    ? "the database is back, writing out what waited"
    : (store.message.split("; ")[0] ?? "").replace(/^degraded: /, "");
  const losses = [
    ...(store.dropped > 0 ? [`${store.dropped} dropped`] : []),
    ...(store.refused > 0 ? [`${store.refused} refused (spool full)`] : []),
  ];
  return [
    `store ${storeState(store)}: ${reason}; ${store.buffered} writes buffered (${store.bytesBuffered} bytes in memory), ${store.spooled} in the spool${losses.length > 0 ? `, ${losses.join(", ")}` : ""}`,
  ];
}

const storeState = (store: StoreHealth): ProbeStoreReport["state"] =>
  store.ok ? "catching up" : store.degraded ? "degraded" : "not ok";

function storeReport(store: StoreHealth): ProbeStoreReport {
  return {
    state: storeState(store),
    since: store.degradedSince,
    buffered: store.buffered,
    bytesBuffered: store.bytesBuffered,
    spooled: store.spooled,
    spoolBytes: store.spoolBytes,
    dropped: store.dropped,
    refused: store.refused,
  };
}

/** What a start came to: each target by where it rests (see `SettleWatch`). */
function startReport(tree: SupervisionTree, targets: string[], durationMs: number): StartReport {
  const state = (n: string) => tree.sup(n).state;
  return {
    running: targets.filter((n) => tree.sup(n).isUp),
    failed: targets.filter((n) => state(n) === "failed"),
    retrying: targets.filter((n) => state(n) === "backoff"),
    waiting: targets.filter(
      (n) => !tree.sup(n).isUp && state(n) !== "failed" && state(n) !== "backoff",
    ),
    pulledIn: targets.filter((n) => !tree.isRequested(n)),
    durationMs,
  };
}
