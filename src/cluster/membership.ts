import { randomUUID } from "node:crypto";
import type { Clock, TimerHandle } from "../internal/clock.js";
import type { ClusterNode, ClusterNodeInfo, ClusterStore } from "../store/cluster-types.js";
import type { ClusterTimings } from "./defaults.js";
import { NodeIdTakenError } from "./node-id.js";
import { reporter } from "./report.js";

export type MembershipStore = Pick<
  ClusterStore,
  | "joinNode"
  | "heartbeatNode"
  | "leaveNode"
  | "listNodes"
  | "pruneNodes"
  | "releaseHolder"
  | "setNodeUrl"
  | "setNodeCandidates"
>;

export interface MembershipOptions {
  store: MembershipStore;
  clock: Clock;
  timings: ClusterTimings;
  node: Omit<ClusterNodeInfo, "instance">;
  /** Whether a process of this host still runs; default `process.kill(pid, 0)`. */
  pidAlive?(pid: number): boolean;
  /** The row was taken over by another process (this one was counted lost): it must stop. */
  onEvicted?(): void;
  onError?(error: Error): void;
}

/**
 * This node's row in `nodes` (DESIGN.md §8). `join()` registers it, refusing with
 * {@link NodeIdTakenError} while another process runs as the same id — unless that process is on
 * this host and its pid is gone (a `kill -9` just before a restart), whose leftover leases are then
 * released at once. Then one heartbeat statement every `heartbeatInterval`, and a prune of nodes
 * gone longer than `pruneAfter` every `nodeTtl`. `leave()` marks the row stopped, so a start that
 * failed after joining leaves no live-looking node behind.
 */
export interface Membership {
  readonly id: string;
  /** Random per process. */
  readonly instance: string;
  join(): Promise<void>;
  leave(): Promise<void>;
  setUrl(url: string | null): Promise<void>;
  /** Updates the cluster daemons this node may run, as placement on every node reads them. */
  setCandidates(candidates: readonly string[]): Promise<void>;
  /** Every node with its state now. */
  nodes(): Promise<ClusterNode[]>;
}

const defaultPidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

export function createMembership(options: MembershipOptions): Membership {
  const { store, clock, timings } = options;
  const info: ClusterNodeInfo = { ...options.node, instance: randomUUID() };
  const pidAlive = options.pidAlive ?? defaultPidAlive;
  let beatTimer: TimerHandle | undefined;
  let lastPrune = 0;
  let joined = false;
  let left = false;

  const report = reporter(options.onError);

  const beat = async () => {
    const now = clock.now();
    try {
      const mine = await store.heartbeatNode(info.id, info.instance, now);
      if (!mine && !left) {
        left = true;
        options.onEvicted?.();
        return;
      }
      if (now - lastPrune >= timings.nodeTtl) {
        lastPrune = now;
        await store.pruneNodes(now - timings.pruneAfter);
      }
    } catch (error) {
      report(error);
    }
  };

  const schedule = () => {
    beatTimer = clock.setTimeout(() => {
      if (left) return;
      schedule();
      void beat();
    }, timings.heartbeatInterval);
  };

  return {
    id: info.id,
    instance: info.instance,

    async join() {
      if (joined) return;
      const now = clock.now();
      let result = await store.joinNode(info, { now, nodeTtl: timings.nodeTtl });
      if (!result.joined) {
        const holder = result.holder;
        if (holder.host !== info.host || pidAlive(holder.pid)) {
          throw new NodeIdTakenError(info.id, holder, now);
        }
        result = await store.joinNode(info, {
          now,
          nodeTtl: timings.nodeTtl,
          replace: holder.instance,
        });
        if (!result.joined) throw new NodeIdTakenError(info.id, result.holder, now);
        // The dead process's leases: nobody runs them, so nobody need wait for them to expire.
        await store.releaseHolder(info.id);
      }
      joined = true;
      lastPrune = now;
      schedule();
    },

    async leave() {
      if (!joined || left) return;
      left = true;
      if (beatTimer) clock.clearTimeout(beatTimer);
      await store.leaveNode(info.id, info.instance, clock.now());
    },

    setUrl: (url) => store.setNodeUrl(info.id, info.instance, url),

    setCandidates: (candidates) => store.setNodeCandidates(info.id, info.instance, candidates),

    nodes: () => store.listNodes(clock.now(), timings.nodeTtl),
  };
}
