/**
 * The cluster part of the manager (DESIGN.md §8): the lease keeper of this node's
 * `scope: "cluster"` daemons, wired to the supervision tree. A daemon runs here only while this
 * node holds its lease: acquiring it starts the daemon, losing it aborts `ctx.signal` and stops
 * it (it waits in `standby`), and a daemon that stops or fails here gives its lease up at once,
 * so a standby takes over within a second. Every cluster daemon of the config may become a
 * candidate here, not only those `start()` selected: one an operator starts later (`POST
 * /api/daemons/:name/start`, `manager.startDaemon`) acquires its lease or waits in `standby`.
 * Membership (the node's row) is the store part's; this part keeps the row's candidates current.
 */
import {
  createLeaseKeeper,
  type LeaseKeeper,
  type LeaseKeeperStats,
} from "../cluster/lease-keeper.js";
import type { DaemonLease } from "../registry/types.js";
import type { DaemonSupervisor } from "../supervisor/daemon.js";
import type { Part } from "./lifecycle.js";
import type { Runtime } from "./runtime.js";

/** The wake-up channel between nodes: a released lease is taken at once, not on the next tick. */
export const LEASE_CHANNEL = "leases";

/** What the rest of the manager reads of the cluster part. */
export interface ClusterRuntime {
  /** The lease this node holds for `name` now, if any (`ctx.lease`). */
  lease(name: string): DaemonLease | undefined;
  /** Leases held now, by daemon. */
  held(): ReadonlyMap<string, DaemonLease>;
  stats(): LeaseKeeperStats;
  /** One round now (the desired set grew): acquire what placement gives this node. */
  wake(): void;
  /** A daemon of this node changed state: one that stopped or failed here gives its lease up. */
  onState(daemon: DaemonSupervisor): void;
}

/** Whether `name` is a cluster daemon. */
export const isClusterScoped = (rt: Runtime, name: string): boolean =>
  rt.tree.sup(name).spec.scope === "cluster";

/** The cluster daemons of the daemons `start()` selected, with what they pull in. */
export function clusterCandidates(rt: Runtime): string[] {
  return [...rt.tree.graph.closure(rt.selection)].filter((n) => isClusterScoped(rt, n));
}

/** The `cluster` part: started after the store (whose membership it relies on), before HTTP. */
export function clusterPart(rt: Runtime): Part & { readonly name: "cluster" } {
  let keeper: LeaseKeeper | undefined;
  return {
    name: "cluster",
    async start() {
      const persistence = rt.persistence;
      const { tree } = rt;
      const names = [...tree.supervisors.keys()].filter((n) => isClusterScoped(rt, n));
      if (!persistence || names.length === 0) return;
      const { store, membership } = persistence;
      /** Wanted here now: desired, enabled, not failed, and the node is not shutting down. */
      const desired = () =>
        tree.shuttingDown
          ? []
          : names.filter((n) => {
              const d = tree.sup(n);
              return tree.isDesired(n) && d.spec.enabled && d.state !== "failed";
            });
      // The row's candidates follow what is wanted, so the other nodes' placement counts this
      // node for a daemon started here by hand (and stops counting it for one stopped here).
      // A write that failed (the store is out) is tried again on the next round.
      let published = clusterCandidates(rt).join("\u0000");
      let publishing = false;
      const wanted = () => {
        const now = desired();
        const key = now.join("\u0000");
        if (key !== published && !publishing && !tree.shuttingDown) {
          publishing = true;
          membership
            .setCandidates(now)
            .then(() => {
              published = key;
            })
            .catch((error) => rt.logger.warn({ err: error }, "cluster: updating candidates failed"))
            .finally(() => {
              publishing = false;
            });
        }
        return now;
      };
      keeper = createLeaseKeeper({
        store: store.cluster,
        node: rt.node.id,
        clock: rt.clock,
        timings: rt.clusterTimings,
        candidates: wanted,
        prefer: rt.config.cluster.prefer,
        onAcquired(name, lease) {
          rt.logger.info(`cluster: acquired ${name} (token ${lease.token})`);
          void rt.durable?.reload(name);
          tree.leaseGranted(name);
        },
        onLost(name, reason) {
          if (reason !== "released")
            rt.logger.warn(`cluster: lost the lease of ${name} (${reason})`);
          return tree.leaseLost(name, `lease ${reason}`);
        },
        wake: {
          listen: (onWake) => store.listen(LEASE_CHANNEL, onWake),
          notify: () => store.notify(LEASE_CHANNEL),
        },
        onError: (error) => rt.logger.warn({ err: error }, "cluster: lease round failed"),
      });
      const running = keeper;
      rt.cluster = {
        lease: (name) => running.held().get(name),
        held: () => running.held(),
        stats: () => running.stats(),
        wake: () => void running.tick(),
        onState(d) {
          if ((d.state === "stopped" || d.state === "failed") && running.held().has(d.name))
            void running.release(d.name);
        },
      };
      await keeper.start();
    },
    async stop() {
      await keeper?.stop();
    },
  };
}
