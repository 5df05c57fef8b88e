/**
 * One node's leases (DESIGN.md §8), composed of its concerns: renewal and deadlines
 * (held-leases.ts), what to take and shed each round (lease-acquisition.ts, over placement.ts),
 * and giving leases up (lease-release.ts). This file runs the rounds: one at a time, every
 * `renewInterval` and on a wake-up, from `start()` until `stop()` gave every lease up.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";
import type { ClusterStore } from "../store/cluster-types.js";
import { answerWithin } from "./answer.js";
import type { ClusterTimings } from "./defaults.js";
import { HeldLeases } from "./held-leases.js";
import type { DaemonLease, LeaseLossReason } from "./lease.js";
import { leaseAcquisition } from "./lease-acquisition.js";
import { daemonStopper, leaseRelease } from "./lease-release.js";
import { reporter } from "./report.js";

export type LeaseStore = Pick<
  ClusterStore,
  "acquireLease" | "renewLeases" | "releaseLease" | "listLeases" | "listNodes"
>;

export interface LeaseKeeperOptions {
  store: LeaseStore;
  /** This node's id: the holder written into its leases. */
  node: string;
  clock: Clock;
  timings: ClusterTimings;
  /**
   * The `scope: "cluster"` daemons this node may run, read each round when a function (the ones
   * wanted now: a lease held for a daemon no longer wanted is released).
   */
  candidates: readonly string[] | (() => readonly string[]);
  /** `cluster.prefer`: node order per daemon. */
  prefer?: Readonly<Record<string, readonly string[]>>;
  /** This node now holds `name`: run the daemon with `lease` as its `ctx.lease`. */
  onAcquired(name: string, lease: DaemonLease): void;
  /**
   * This node no longer holds `name` (or is giving it up): abort the daemon's `ctx.signal` at
   * once and stop it. For `released` the keeper waits for the returned promise (the daemon has
   * stopped) before it frees the lease in the store; for `deadline` and `lost` it does not wait.
   */
  onLost(name: string, reason: LeaseLossReason): void | Promise<void>;
  /** Wake-ups between nodes: a released lease is taken at once rather than on the next tick. */
  wake?: {
    listen(onWake: () => void): Promise<() => Promise<void>>;
    notify(): Promise<void>;
  };
  onError?(error: Error): void;
}

export interface LeaseKeeperStats {
  acquisitions: number;
  /** Leases lost to a missed deadline or a failed renewal (not releases). */
  losses: number;
  releases: number;
  /** Renewal statements sent. */
  renewals: number;
}

/**
 * One node's leases (DESIGN.md §8). Every `renewInterval` it renews everything it holds in one
 * statement, then reads nodes and leases and acquires or sheds what placement says. Each held
 * lease has a renewal deadline, `expiry − safetyMargin`, with expiry counted from the moment the
 * renewal (or acquisition) was *sent*; the deadline is checked against the clock on a timer of its
 * own, on every tick, and before any answer of the store is trusted, so a holder whose store is
 * cut, hung or slow, or whose event loop stalled, stops the daemon before another node can take
 * the lease. A store call that does not answer within `leaseTtl` is abandoned.
 */
export interface LeaseKeeper {
  /** Joins the wake-ups, runs a first round, and starts the ticks. */
  start(): Promise<void>;
  /** Gives every lease up (each after its daemon stopped), then stops. Idempotent. */
  stop(): Promise<void>;
  /** Gives one lease up (the daemon is stopped first). */
  release(name: string): Promise<void>;
  /** The leases held now, by daemon name. */
  held(): ReadonlyMap<string, DaemonLease>;
  /** One round now: renew, look, place. */
  tick(): Promise<void>;
  stats(): LeaseKeeperStats;
}

export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { store, node, clock, timings } = options;
  const stats: LeaseKeeperStats = { acquisitions: 0, losses: 0, releases: 0, renewals: 0 };
  const report = reporter(options.onError);
  const answer = answerWithin(clock, timings.leaseTtl);
  const stopDaemon = daemonStopper((name, reason) => options.onLost(name, reason), report);
  let tickTimer: TimerHandle | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let started = false;

  const held = new HeldLeases({
    store,
    node,
    clock,
    timings,
    answer,
    stats,
    onLost: (name, reason) => void stopDaemon(name, reason),
    report,
  });
  const release = leaseRelease({
    store,
    node,
    held,
    answer,
    stats,
    stopDaemon,
    ...(options.wake ? { wake: options.wake } : {}),
    report,
  });
  const place = leaseAcquisition({
    store,
    node,
    clock,
    timings,
    answer,
    held,
    stats,
    candidates: () =>
      typeof options.candidates === "function" ? options.candidates() : options.candidates,
    ...(options.prefer ? { prefer: options.prefer } : {}),
    stopped: () => stopped,
    release,
    onAcquired: (name, lease) => options.onAcquired(name, lease),
    report,
  });

  /** One round at a time; a round asked for meanwhile runs (placement only) right after. */
  const round = (withRenewal: boolean): Promise<void> => {
    held.checkDeadlines();
    if (stopped) return Promise.resolve();
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        if (withRenewal) await held.renew();
        do {
          again = false;
          if (!stopped) await place();
        } while (again && !stopped);
      } catch (error) {
        report(error);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const schedule = () => {
    tickTimer = clock.setTimeout(() => {
      if (stopped) return;
      schedule();
      void round(true);
    }, timings.renewInterval);
  };

  return {
    async start() {
      if (started) return;
      started = true;
      if (options.wake) {
        try {
          unlisten = await options.wake.listen(() => void round(false));
        } catch (error) {
          report(error);
        }
      }
      schedule();
      await round(false);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (tickTimer) clock.clearTimeout(tickTimer);
      await Promise.all(held.names().map((name) => release(name)));
      held.stopTimer();
      await unlisten?.().catch(report);
    },

    release,
    held: () => held.held(),
    tick: () => round(true),
    stats: () => ({ ...stats }),
  };
}
