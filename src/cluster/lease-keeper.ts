import type { Clock, TimerHandle } from "../internal/clock.js";
import type { ClusterStore, HeldLeaseRef } from "../store/cluster-types.js";
import type { ClusterTimings } from "./defaults.js";
import { type DaemonLease, type LeaseLossReason, LeaseLostError } from "./lease.js";
import { type PlacementNode, planPlacement } from "./placement.js";
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

interface Holding {
  token: number;
  expiresAt: number;
  deadline: number;
  releasing: boolean;
  lease: DaemonLease;
}

export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { store, node, clock, timings } = options;
  const holdings = new Map<string, Holding>();
  const stats: LeaseKeeperStats = { acquisitions: 0, losses: 0, releases: 0, renewals: 0 };
  const candidates = (): readonly string[] =>
    typeof options.candidates === "function" ? options.candidates() : options.candidates;
  let tickTimer: TimerHandle | undefined;
  let deadlineTimer: TimerHandle | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let started = false;

  const report = reporter(options.onError);

  /** The store's answer, or a rejection once `leaseTtl` passed without one (a hung connection). */
  const answer = <T>(what: string, pending: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new Error(`the store did not answer ${what} within ${timings.leaseTtl} ms`)),
        timings.leaseTtl,
      );
      pending.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });

  const callLost = (name: string, reason: LeaseLossReason): Promise<void> => {
    try {
      return Promise.resolve(options.onLost(name, reason)).catch(report);
    } catch (thrown) {
      report(thrown);
      return Promise.resolve();
    }
  };

  /** Drops a lease that is no longer safe to run under; the daemon is told at once. */
  const lose = (name: string, reason: "deadline" | "lost") => {
    const holding = holdings.get(name);
    if (!holding) return;
    holdings.delete(name);
    stats.losses++;
    // A lease being released is already stopping its daemon.
    if (!holding.releasing) void callLost(name, reason);
  };

  const armDeadline = () => {
    if (deadlineTimer) clock.clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    let first = Number.POSITIVE_INFINITY;
    for (const holding of holdings.values()) first = Math.min(first, holding.deadline);
    if (first !== Number.POSITIVE_INFINITY) {
      deadlineTimer = clock.setTimeout(checkDeadlines, Math.max(0, first - clock.now()));
    }
  };

  function checkDeadlines() {
    const now = clock.now();
    for (const [name, holding] of [...holdings]) {
      if (now >= holding.deadline) lose(name, "deadline");
    }
    armDeadline();
  }

  const hold = (name: string, token: number, sentAt: number): DaemonLease => {
    const holding: Holding = {
      token,
      expiresAt: sentAt + timings.leaseTtl,
      deadline: sentAt + timings.leaseTtl - timings.safetyMargin,
      releasing: false,
      lease: undefined as unknown as DaemonLease,
    };
    const held = () => holdings.get(name) === holding && clock.now() < holding.deadline;
    holding.lease = {
      token,
      holder: node,
      get expiresAt() {
        return holding.expiresAt;
      },
      held,
      assertHeld() {
        if (!held()) throw new LeaseLostError(name, token);
      },
    };
    holdings.set(name, holding);
    return holding.lease;
  };

  const renew = async () => {
    const refs: HeldLeaseRef[] = [...holdings].map(([name, h]) => ({ name, token: h.token }));
    if (refs.length === 0) return;
    const sentAt = clock.now();
    stats.renewals++;
    let renewed: HeldLeaseRef[];
    try {
      renewed = await answer("a renewal", store.renewLeases(node, refs, timings.leaseTtl, sentAt));
    } catch (error) {
      report(error);
      checkDeadlines();
      return;
    }
    // The clock first: an answer that arrives after a deadline (a stalled loop, a slow store)
    // does not bring a lease back.
    checkDeadlines();
    const ok = new Set(renewed.map((r) => `${r.name}\u0000${r.token}`));
    for (const ref of refs) {
      const holding = holdings.get(ref.name);
      if (!holding || holding.token !== ref.token) continue;
      if (!ok.has(`${ref.name}\u0000${ref.token}`)) {
        lose(ref.name, "lost");
        continue;
      }
      holding.expiresAt = sentAt + timings.leaseTtl;
      holding.deadline = holding.expiresAt - timings.safetyMargin;
    }
    armDeadline();
  };

  const acquire = async (name: string): Promise<boolean> => {
    const sentAt = clock.now();
    const token = await answer(
      "an acquisition",
      store.acquireLease(name, node, timings.leaseTtl, sentAt),
    );
    if (token === null) return false;
    const now = clock.now();
    if (stopped || now >= sentAt + timings.leaseTtl - timings.safetyMargin) {
      // Acquired too late to be trusted (or while stopping): never run, give it back.
      await store.releaseLease(name, node, token).catch(report);
      return false;
    }
    const lease = hold(name, token, sentAt);
    stats.acquisitions++;
    armDeadline();
    try {
      options.onAcquired(name, lease);
    } catch (error) {
      report(error);
    }
    return true;
  };

  const release = async (name: string) => {
    const holding = holdings.get(name);
    if (!holding || holding.releasing) return;
    holding.releasing = true;
    await callLost(name, "released");
    // Lost to its deadline while the daemon stopped: not ours to release any more.
    if (holdings.get(name) !== holding) return;
    holdings.delete(name);
    stats.releases++;
    armDeadline();
    try {
      await answer("a release", store.releaseLease(name, node, holding.token));
      await options.wake?.notify();
    } catch (error) {
      report(error);
    }
  };

  const place = async () => {
    const self: PlacementNode = { id: node, candidates: [...candidates()] };
    const wanted = new Set(self.candidates);
    for (const name of [...holdings.keys()]) if (!wanted.has(name)) await release(name);
    // Nothing wanted here (no cluster daemon selected or started by hand yet): nothing to read.
    if (wanted.size === 0 && holdings.size === 0) return;
    const now = clock.now();
    const [nodes, leases] = await Promise.all([
      answer("the node list", store.listNodes(now, timings.nodeTtl)),
      answer("the lease list", store.listLeases()),
    ]);
    // A live holder renews before expiry, so another node whose lease ran out unrenewed (not
    // released: expiry 0) within the last nodeTtl died or is cut off. It is no taker meanwhile:
    // otherwise, while its row still looks live, its room would keep its daemons waiting for it
    // until nodeTtl, not taken within leaseTtl + renewInterval.
    const suspect = new Set<string>();
    for (const lease of leases) {
      const ranOut = lease.expiresAt > 0 && lease.expiresAt <= now;
      if (ranOut && lease.expiresAt > now - timings.nodeTtl && lease.holder !== node)
        suspect.add(lease.holder);
    }
    const live: PlacementNode[] = nodes
      .filter((n) => n.state === "live" && n.id !== node && !suspect.has(n.id))
      .map((n) => ({ id: n.id, candidates: n.candidates }));
    live.push(self);
    const holders = new Map<string, string>();
    for (const lease of leases) if (lease.expiresAt > now) holders.set(lease.name, lease.holder);
    const plan = planPlacement({
      self: node,
      nodes: live,
      holders,
      held: new Set(holdings.keys()),
      ...(options.prefer ? { prefer: options.prefer } : {}),
    });
    for (const name of plan.shed) await release(name);
    let taken = 0;
    for (const name of plan.acquire) {
      if (stopped || taken >= plan.limit) break;
      if (await acquire(name)) taken++;
    }
  };

  /** One round at a time; a round asked for meanwhile runs (placement only) right after. */
  const round = (withRenewal: boolean): Promise<void> => {
    checkDeadlines();
    if (stopped) return Promise.resolve();
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        if (withRenewal) await renew();
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
      await Promise.all([...holdings.keys()].map((name) => release(name)));
      if (deadlineTimer) clock.clearTimeout(deadlineTimer);
      await unlisten?.().catch(report);
    },

    release,

    held() {
      const out = new Map<string, DaemonLease>();
      for (const [name, holding] of holdings)
        if (holding.lease.held()) out.set(name, holding.lease);
      return out;
    },

    tick: () => round(true),

    stats: () => ({ ...stats }),
  };
}
