/**
 * Which leases a node takes and which it sheds, each round (DESIGN.md §8): it reads the nodes and
 * the leases, leaves out the nodes that look dead, asks placement for a plan, sheds what the plan
 * says, and acquires up to its limit. An acquisition answered too late to be trusted is given back
 * at once, never run.
 */
import type { Clock } from "../internal/clock.js";
import type { ClusterLeaseRow, ClusterNode, ClusterStore } from "../store/cluster-types.js";
import type { StoreAnswer } from "./answer.js";
import type { ClusterTimings } from "./defaults.js";
import type { HeldLeases } from "./held-leases.js";
import type { DaemonLease } from "./lease.js";
import { type PlacementNode, planPlacement } from "./placement.js";

export interface LeaseAcquisitionOptions {
  store: Pick<ClusterStore, "acquireLease" | "releaseLease" | "listLeases" | "listNodes">;
  /** This node's id: the holder of its leases. */
  node: string;
  clock: Clock;
  timings: ClusterTimings;
  answer: StoreAnswer;
  held: HeldLeases;
  /** The keeper's counts this moves. */
  stats: { acquisitions: number };
  /** The daemons this node may run now. */
  candidates(): readonly string[];
  /** `cluster.prefer`: node order per daemon. */
  prefer?: Readonly<Record<string, readonly string[]>>;
  /** The keeper is stopping: take nothing more. */
  stopped(): boolean;
  release(name: string): Promise<void>;
  /** This node now holds `name`: run the daemon under `lease`. */
  onAcquired(name: string, lease: DaemonLease): void;
  report(thrown: unknown): void;
}

/**
 * The other nodes placement may count on, and who holds each lease now. A live holder renews
 * before expiry, so another node whose lease ran out unrenewed (not released: expiry 0) within the
 * last nodeTtl died or is cut off. It is no taker meanwhile: otherwise, while its row still looks
 * live, its room would keep its daemons waiting for it until nodeTtl, not taken within
 * leaseTtl + renewInterval.
 */
export function placementView(
  self: string,
  nodes: readonly ClusterNode[],
  leases: readonly ClusterLeaseRow[],
  now: number,
  nodeTtl: number,
): { others: PlacementNode[]; holders: Map<string, string> } {
  const suspect = new Set<string>();
  for (const lease of leases) {
    const ranOut = lease.expiresAt > 0 && lease.expiresAt <= now;
    if (ranOut && lease.expiresAt > now - nodeTtl && lease.holder !== self)
      suspect.add(lease.holder);
  }
  const others: PlacementNode[] = nodes
    .filter((n) => n.state === "live" && n.id !== self && !suspect.has(n.id))
    .map((n) => ({ id: n.id, candidates: n.candidates }));
  const holders = new Map<string, string>();
  for (const lease of leases) if (lease.expiresAt > now) holders.set(lease.name, lease.holder);
  return { others, holders };
}

/** One placement round: release what is no longer wanted or is shed, acquire what the plan says. */
export function leaseAcquisition(options: LeaseAcquisitionOptions): () => Promise<void> {
  const { store, node, clock, timings, answer, held, stats, report } = options;

  const acquire = async (name: string): Promise<boolean> => {
    const sentAt = clock.now();
    const token = await answer(
      "an acquisition",
      store.acquireLease(name, node, timings.leaseTtl, sentAt),
    );
    if (token === null) return false;
    const now = clock.now();
    if (options.stopped() || now >= sentAt + timings.leaseTtl - timings.safetyMargin) {
      // Acquired too late to be trusted (or while stopping): never run, give it back.
      await store.releaseLease(name, node, token).catch(report);
      return false;
    }
    const lease = held.hold(name, token, sentAt);
    stats.acquisitions++;
    try {
      options.onAcquired(name, lease);
    } catch (error) {
      report(error);
    }
    return true;
  };

  return async () => {
    const self: PlacementNode = { id: node, candidates: [...options.candidates()] };
    const wanted = new Set(self.candidates);
    for (const name of held.names()) if (!wanted.has(name)) await options.release(name);
    // Nothing wanted here (no cluster daemon selected or started by hand yet): nothing to read.
    if (wanted.size === 0 && held.size === 0) return;
    const now = clock.now();
    const [nodes, leases] = await Promise.all([
      answer("the node list", store.listNodes(now, timings.nodeTtl)),
      answer("the lease list", store.listLeases()),
    ]);
    const { others, holders } = placementView(node, nodes, leases, now, timings.nodeTtl);
    const plan = planPlacement({
      self: node,
      nodes: [...others, self],
      holders,
      held: new Set(held.names()),
      ...(options.prefer ? { prefer: options.prefer } : {}),
    });
    for (const name of plan.shed) await options.release(name);
    let taken = 0;
    for (const name of plan.acquire) {
      if (options.stopped() || taken >= plan.limit) break;
      if (await acquire(name)) taken++;
    }
  };
}
