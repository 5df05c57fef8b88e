/**
 * The memory store (`memory:`): {@link createMemoryStore}, assembled like the SQL store from one
 * part per concern, each keeping its rows in its own maps.
 */
import type { DeadLetter } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import type { EventEnvelope } from "../registry/types.js";
import { daemonKey } from "./daemon-key.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { trimmablePrefix } from "./event-retention.js";
import { memoryClusterMethods } from "./memory-cluster.js";
import { memoryJobMethods } from "./memory-jobs.js";
import { createBufferedWrites, type StoreWritesOptions } from "./store-writes.js";
import {
  type DaemonRecord,
  type DaemonSettings,
  type DaemonSettingsMethods,
  type DeadLetterMethods,
  type EventMethods,
  LOG_LEVEL_NUMBERS,
  type LogMethods,
  type NodeMethods,
  type NodeRecord,
  type Store,
  type StoredLog,
} from "./types.js";

export interface MemoryStoreOptions {
  clock: Clock;
  writes?: Omit<StoreWritesOptions, "clock">;
}

/** Throws unless the store is open. */
type Need = () => void;

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

/**
 * The store in plain maps, for tests and throwaway runs: the same semantics as the SQL stores
 * (seqs, cursors, leases, trimming), nothing kept after the process. Values are copied in and out,
 * as a database would.
 */
export function createMemoryStore(url: string, options: MemoryStoreOptions): Store {
  const listeners = new Map<string, Set<() => void>>();
  let opened = false;
  let closed = false;

  const need = () => {
    if (!opened || closed) throw new Error(`store ${url} is not open`);
  };

  const fire = (channel: string) => {
    for (const fn of [...(listeners.get(channel) ?? [])]) {
      queueMicrotask(() => {
        try {
          fn();
        } catch {
          // A listener's error is its own.
        }
      });
    }
  };

  // The cluster part shares the cursor and daemon-record maps (per-node rows, pruning).
  const cursors = new Map<string, number>();
  const daemons = new Map<string, DaemonRecord>();
  const store: Store = {
    kind: "memory",
    url,
    async open() {
      opened = true;
    },
    async close() {
      if (closed) return;
      if (opened) await buffered.close();
      closed = true;
      listeners.clear();
    },
    health() {
      return buffered.health(opened && !closed, null);
    },
    get writes() {
      return buffered.writes;
    },

    ...memoryNodeMethods(need, daemons),
    ...memoryDaemonSettingsMethods(need),
    ...memoryLogMethods(need),
    ...memoryEventMethods(need, fire, cursors),
    ...memoryDeadLetterMethods(need),
    ...memoryJobMethods(need, fire),

    cluster: memoryClusterMethods({ cursors, daemons }),

    async listen(channel, onNotify) {
      need();
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      const fn = () => onNotify();
      set.add(fn);
      return async () => {
        set.delete(fn);
      };
    },
    async notify(channel) {
      need();
      fire(channel);
    },
  };

  const buffered = createBufferedWrites(
    store,
    { clock: options.clock, ...options.writes },
    () => true,
  );
  return store;
}

/** Sets `into`'s fields to `from`'s, with `details` for its heartbeat details. */
/**
 * Whether a stored heartbeat at `stored` is newer than one at `incoming` (which then loses). A
 * record without a heartbeat (a daemon that has not beat in this process) clears it, as before.
 */
function newerHeartbeat(stored: number | null, incoming: number | null): boolean {
  return stored !== null && incoming !== null && stored > incoming;
}

function copyRecord(
  into: DaemonRecord,
  from: DaemonRecord,
  details: DaemonRecord["heartbeatDetails"],
): DaemonRecord {
  into.name = from.name;
  into.node = from.node;
  into.state = from.state;
  into.enabled = from.enabled;
  into.autoStart = from.autoStart;
  into.restartCount = from.restartCount;
  into.lastError = from.lastError;
  into.startedAt = from.startedAt;
  into.lastHeartbeatAt = from.lastHeartbeatAt;
  into.heartbeatDetails = details;
  into.updatedAt = from.updatedAt;
  return into;
}

/** Nodes and daemon records. */
function memoryNodeMethods(need: Need, daemons: Map<string, DaemonRecord>): NodeMethods {
  const nodes = new Map<string, NodeRecord>();
  return {
    async upsertNode(node) {
      need();
      nodes.set(node.id, clone(node));
    },
    async heartbeatNode(id, at) {
      need();
      const node = nodes.get(id);
      if (node && (node.lastHeartbeatAt === null || node.lastHeartbeatAt < at))
        node.lastHeartbeatAt = at;
    },
    async listNodes() {
      need();
      return [...nodes.values()].sort((a, b) => a.startedAt - b.startedAt).map(clone);
    },

    async saveDaemons(records) {
      need();
      for (const r of records) {
        const key = daemonKey(r.node, r.name);
        const stored = daemons.get(key);
        if (stored && stored.updatedAt > r.updatedAt) continue;
        // Copied field by field into the stored record, only the details (the daemon's own
        // object) cloned: a fleet's heartbeats rewrite thousands of records a second, and a
        // structured clone of each was old-generation garbage for the collector.
        if (stored && newerHeartbeat(stored.lastHeartbeatAt, r.lastHeartbeatAt)) {
          // A heartbeat written after this record was made (saveDaemonHeartbeats) stays.
          const { lastHeartbeatAt, heartbeatDetails } = stored;
          copyRecord(stored, r, heartbeatDetails);
          stored.lastHeartbeatAt = lastHeartbeatAt;
          continue;
        }
        const details = r.heartbeatDetails === null ? null : clone(r.heartbeatDetails);
        if (stored) copyRecord(stored, r, details);
        else daemons.set(key, copyRecord({} as DaemonRecord, r, details));
      }
    },
    async saveDaemonHeartbeats(heartbeats) {
      need();
      for (const h of heartbeats) {
        const stored = daemons.get(daemonKey(h.node, h.name));
        if (!stored || newerHeartbeat(stored.lastHeartbeatAt, h.at)) continue;
        stored.lastHeartbeatAt = h.at;
        stored.heartbeatDetails = h.details === null ? null : clone(h.details);
      }
    },
    async loadDaemons(node) {
      need();
      return [...daemons.values()]
        .filter((r) => node === undefined || r.node === node)
        .sort((a, b) =>
          a.node === b.node ? a.name.localeCompare(b.name) : a.node.localeCompare(b.node),
        )
        .map(clone);
    },
  };
}

/** Daemon settings, by name. */
function memoryDaemonSettingsMethods(need: Need): DaemonSettingsMethods {
  const settings = new Map<string, DaemonSettings>();
  return {
    async setDaemonSettings(name, patch, at) {
      need();
      const current = settings.get(name) ?? {
        name,
        enabled: null,
        autoStart: null,
        configOverrides: null,
        updatedAt: at,
      };
      const next: DaemonSettings = {
        name,
        enabled: patch.enabled === undefined ? current.enabled : patch.enabled,
        autoStart: patch.autoStart === undefined ? current.autoStart : patch.autoStart,
        configOverrides:
          patch.configOverrides === undefined
            ? current.configOverrides
            : clone(patch.configOverrides),
        updatedAt: at,
      };
      settings.set(name, next);
      return clone(next);
    },
    async loadDaemonSettings() {
      need();
      return [...settings.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone);
    },
  };
}

/** Daemon logs, ids in insertion order. */
function memoryLogMethods(need: Need): LogMethods {
  let logs: StoredLog[] = [];
  let nextLogId = 1;
  return {
    async appendLogs(rows) {
      need();
      for (const r of rows) {
        logs.push({
          id: nextLogId++,
          time: r.time,
          daemon: r.daemon,
          level: r.level,
          message: String(r.message),
          fields: clone(r.fields ?? {}),
          node: r.node ?? null,
        });
      }
    },
    async queryLogs(query = {}) {
      need();
      const min = query.level ? LOG_LEVEL_NUMBERS[query.level] : 0;
      const sign = (query.order ?? "desc") === "desc" ? -1 : 1;
      return logs
        .filter(
          (r) =>
            (query.daemon === undefined || r.daemon === query.daemon) &&
            LOG_LEVEL_NUMBERS[r.level] >= min &&
            (query.since === undefined || r.time >= query.since) &&
            (query.until === undefined || r.time < query.until),
        )
        .sort((a, b) => sign * (a.time - b.time || a.id - b.id))
        .slice(0, query.limit ?? 1000)
        .map(clone);
    },
    async trimLogs({ maxRowsPerDaemon, maxAgeMs, now }) {
      need();
      const before = logs.length;
      if (Number.isFinite(maxAgeMs)) logs = logs.filter((r) => r.time >= now - maxAgeMs);
      if (Number.isFinite(maxRowsPerDaemon)) {
        const keep = Math.max(0, Math.floor(maxRowsPerDaemon));
        const seen = new Map<string, number>();
        const kept: StoredLog[] = [];
        for (let i = logs.length - 1; i >= 0; i--) {
          const r = logs[i] as StoredLog;
          const n = seen.get(r.daemon) ?? 0;
          if (n < keep) kept.push(r);
          seen.set(r.daemon, n + 1);
        }
        logs = kept.reverse();
      }
      return before - logs.length;
    },
  };
}

/** Events and subscriber cursors; an append wakes `events` through `fire`. */
function memoryEventMethods(
  need: Need,
  fire: (channel: string) => void,
  cursors: Map<string, number>,
): EventMethods {
  const events: EventEnvelope<string>[] = [];
  const eventSeqById = new Map<string, number>();
  let nextSeq = 1;
  return {
    async appendEvents(input) {
      need();
      const seqs = input.map((e) => {
        const existing = eventSeqById.get(e.id);
        if (existing !== undefined) return existing;
        const seq = nextSeq++;
        events.push({ ...clone(e), payload: clone(e.payload ?? null) as never, seq });
        eventSeqById.set(e.id, seq);
        return seq;
      });
      if (input.length > 0) fire("events");
      return seqs;
    },
    async readEvents({ afterSeq, types, limit }) {
      need();
      const wanted = types ? new Set(types) : undefined;
      const out: EventEnvelope<string>[] = [];
      for (const e of events) {
        if (out.length >= limit) break;
        if (e.seq > afterSeq && (!wanted || wanted.has(e.type))) out.push(clone(e));
      }
      return out;
    },
    async trimEvents({ maxAgeMs, maxRows, now, limit }) {
      need();
      const top = events.length > 0 ? (events[events.length - 1] as EventEnvelope<string>).seq : 0;
      const low = cursors.size > 0 ? Math.min(...cursors.values()) : null;
      const oldest = events.slice(0, limit ?? STORE_DEFAULTS.eventRetention.batch);
      const through = trimmablePrefix(oldest, {
        top,
        low,
        maxAgeMs,
        ...(maxRows !== undefined ? { maxRows } : {}),
        now,
      });
      if (through === null) return 0;
      const removed = events.findIndex((e) => e.seq > through);
      const count = removed === -1 ? events.length : removed;
      events.splice(0, count);
      return count;
    },
    async getCursor(subscriber) {
      need();
      return cursors.get(subscriber) ?? 0;
    },
    async setCursor(subscriber, seq) {
      need();
      if ((cursors.get(subscriber) ?? -Infinity) < seq) cursors.set(subscriber, seq);
    },
  };
}

/** Dead letters, by id. */
function memoryDeadLetterMethods(need: Need): DeadLetterMethods {
  const deadLetters = new Map<string, DeadLetter>();
  return {
    async addDeadLetter(letter) {
      need();
      if (!deadLetters.has(letter.id)) deadLetters.set(letter.id, clone(letter));
    },
    async listDeadLetters(query = {}) {
      need();
      return [...deadLetters.values()]
        .filter((d) => query.subscriber === undefined || d.subscriber === query.subscriber)
        .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, query.limit ?? 1000)
        .map(clone);
    },
    async getDeadLetter(id) {
      need();
      const letter = deadLetters.get(id);
      return letter ? clone(letter) : null;
    },
    async removeDeadLetter(id) {
      need();
      return deadLetters.delete(id);
    },
  };
}
