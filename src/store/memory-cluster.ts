/** The cluster half of the memory store (`Store.cluster`), with the SQL stores' semantics. */
import type {
  ClusterLeaseRow,
  ClusterNodeRow,
  ClusterStore,
  HeldLeaseRef,
} from "./cluster-types.js";
import { NODE_CURSOR_SEPARATOR, nodeState } from "./sql-cluster.js";

/** Maps the memory store may share, so its own cursor and lease views see the cluster's writes. */
export interface MemoryClusterMaps {
  cursors?: Map<string, number>;
  /** Daemon records keyed `<node>\0<name>`. */
  daemons?: Map<string, unknown>;
}

const clone = <T>(value: T): T => structuredClone(value);

/** {@link ClusterStore} in plain maps, with the SQL stores' semantics (one process only). */
export function memoryClusterMethods(maps: MemoryClusterMaps = {}): ClusterStore {
  const nodes = new Map<string, ClusterNodeRow>();
  const leases = new Map<string, ClusterLeaseRow>();
  const cursors = maps.cursors ?? new Map<string, number>();

  return {
    async joinNode(node, { now, nodeTtl, replace }) {
      const old = nodes.get(node.id);
      const free =
        !old ||
        old.stoppedAt !== null ||
        old.lastHeartbeatAt === null ||
        old.lastHeartbeatAt <= now - nodeTtl ||
        old.instance === node.instance ||
        (replace !== undefined && old.instance === replace);
      if (old && !free) return { joined: false, holder: clone(old) };
      const row: ClusterNodeRow = {
        ...clone(node),
        candidates: [...node.candidates],
        startedAt: now,
        lastHeartbeatAt: now,
        stoppedAt: null,
      };
      nodes.set(node.id, row);
      return { joined: true, row: clone(row) };
    },

    async heartbeatNode(id, instance, now) {
      const row = nodes.get(id);
      if (!row || row.instance !== instance || row.stoppedAt !== null) return false;
      row.lastHeartbeatAt = now;
      return true;
    },

    async setNodeUrl(id, instance, url) {
      const row = nodes.get(id);
      if (row && row.instance === instance) row.url = url;
    },

    async setNodeCandidates(id, instance, candidates) {
      const row = nodes.get(id);
      if (row && row.instance === instance) row.candidates = [...candidates];
    },

    async leaveNode(id, instance, now) {
      const row = nodes.get(id);
      if (!row || row.instance !== instance) return;
      row.stoppedAt = now;
      row.lastHeartbeatAt = now;
    },

    async listNodes(now, nodeTtl) {
      return [...nodes.values()]
        .sort((a, b) => a.startedAt - b.startedAt)
        .map((row) => ({ ...clone(row), state: nodeState(row, now, nodeTtl) }));
    },

    async pruneNodes(before) {
      let removed = 0;
      for (const [id, row] of nodes) {
        if ((row.lastHeartbeatAt ?? row.startedAt) >= before) continue;
        nodes.delete(id);
        for (const key of [...cursors.keys()]) {
          if (key.endsWith(`${NODE_CURSOR_SEPARATOR}${id}`)) cursors.delete(key);
        }
        for (const key of [...(maps.daemons?.keys() ?? [])]) {
          if (key.startsWith(`${id}\u0000`)) maps.daemons?.delete(key);
        }
        removed++;
      }
      return removed;
    },

    async acquireLease(name, holder, ttlMs, now) {
      const lease = leases.get(name);
      if (lease && lease.expiresAt > now) return null;
      const token = (lease?.token ?? 0) + 1;
      leases.set(name, { name, holder, token, expiresAt: now + ttlMs, acquiredAt: now });
      return token;
    },

    async renewLeases(holder, refs, ttlMs, now) {
      const renewed: HeldLeaseRef[] = [];
      for (const ref of refs) {
        const lease = leases.get(ref.name);
        if (!lease || lease.holder !== holder || lease.token !== ref.token) continue;
        if (lease.expiresAt <= now) continue;
        lease.expiresAt = now + ttlMs;
        renewed.push({ name: ref.name, token: ref.token });
      }
      return renewed;
    },

    async releaseLease(name, holder, token) {
      const lease = leases.get(name);
      if (!lease || lease.holder !== holder || lease.token !== token || lease.expiresAt <= 0) {
        return false;
      }
      lease.expiresAt = 0;
      return true;
    },

    async releaseHolder(holder) {
      let released = 0;
      for (const lease of leases.values()) {
        if (lease.holder === holder && lease.expiresAt > 0) {
          lease.expiresAt = 0;
          released++;
        }
      }
      return released;
    },

    async listLeases() {
      return [...leases.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone);
    },

    async setFencedCursor(subscriber, seq, fence, now) {
      const lease = leases.get(fence.name);
      const held =
        lease !== undefined &&
        lease.holder === fence.holder &&
        lease.token === fence.token &&
        lease.expiresAt > now;
      if (!held || (cursors.get(subscriber) ?? -Infinity) >= seq) return false;
      cursors.set(subscriber, seq);
      return true;
    },
  };
}
