/**
 * Giving a lease up, and telling a daemon that its lease is gone. A release hands over: the
 * daemon is stopped first, then the lease is freed in the store (expiry 0) and the other nodes are
 * woken, so a standby takes it at once rather than on its next tick.
 */
import type { ClusterStore } from "../store/cluster-types.js";
import type { StoreAnswer } from "./answer.js";
import type { HeldLeases } from "./held-leases.js";
import type { LeaseLossReason } from "./lease.js";

/** Calls `onLost`, resolving once the daemon stopped; what it throws or rejects is reported. */
export function daemonStopper(
  onLost: (name: string, reason: LeaseLossReason) => void | Promise<void>,
  report: (thrown: unknown) => void,
): (name: string, reason: LeaseLossReason) => Promise<void> {
  return (name, reason) => {
    try {
      return Promise.resolve(onLost(name, reason)).catch(report);
    } catch (thrown) {
      report(thrown);
      return Promise.resolve();
    }
  };
}

export interface LeaseReleaseOptions {
  store: Pick<ClusterStore, "releaseLease">;
  /** This node's id: the holder of its leases. */
  node: string;
  held: HeldLeases;
  answer: StoreAnswer;
  /** The keeper's counts this moves. */
  stats: { releases: number };
  /** Stops the daemon; resolves once it stopped. */
  stopDaemon(name: string, reason: LeaseLossReason): Promise<void>;
  /** Wakes the other nodes, so a standby takes the lease at once. */
  wake?: { notify(): Promise<void> };
  report(thrown: unknown): void;
}

/**
 * The release of one lease: its daemon stopped, then the lease freed and the nodes woken. A lease
 * not held, or already being released, is left alone; one lost to its deadline while its daemon
 * stopped is not ours to free any more.
 */
export function leaseRelease(options: LeaseReleaseOptions): (name: string) => Promise<void> {
  const { store, node, held, answer, stats, report } = options;
  return async (name) => {
    const holding = held.get(name);
    if (!holding || holding.releasing) return;
    holding.releasing = true;
    await options.stopDaemon(name, "released");
    if (!held.forget(name, holding)) return;
    stats.releases++;
    try {
      await answer("a release", store.releaseLease(name, node, holding.token));
      await options.wake?.notify();
    } catch (error) {
      report(error);
    }
  };
}
