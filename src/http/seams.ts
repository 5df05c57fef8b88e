import type { HttpPort } from "./port.js";

/**
 * What the HTTP server needs from services that are being built elsewhere (the store, the job
 * service). Each is optional: without it the server answers cleanly (empty lists, 404 "no job
 * service", config patches kept in memory) and the manager passes the real thing when it exists.
 */

/**
 * Config overrides saved through `PATCH /api/daemons/:name/config` (DESIGN.md §3, the "store"
 * layer). They apply the next time the daemon's config is resolved, i.e. at its next start once
 * the store wiring re-resolves it (today: the next start of the manager).
 */
export interface ConfigOverrides {
  /** Merges `patch` into what is saved for `daemon`; resolves with everything saved for it. */
  save(daemon: string, patch: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Everything saved for `daemon` (empty object for none). */
  get(daemon: string): Promise<Record<string, unknown>>;
}

/** Overrides kept in this process only: lost on exit. The default until the store is wired. */
export function memoryConfigOverrides(): ConfigOverrides {
  const saved = new Map<string, Record<string, unknown>>();
  return {
    async save(daemon, patch) {
      const next = { ...(saved.get(daemon) ?? {}), ...patch };
      for (const [key, value] of Object.entries(next)) if (value === null) delete next[key];
      saved.set(daemon, next);
      return { ...next };
    },
    async get(daemon) {
      return { ...(saved.get(daemon) ?? {}) };
    },
  };
}

/** A job as the API shows it (DESIGN.md §7); `actions` only on a single job. */
export interface JobView {
  id: string;
  type: string;
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  [key: string]: unknown;
}

export interface JobFilter {
  status?: string;
  type?: string;
  daemon?: string;
  limit?: number;
}

/** A job update for the live stream (`job` events). */
export interface JobUpdate {
  id: string;
  type: string;
  status: string;
  progress?: number;
  message?: string;
  [key: string]: unknown;
}

/** The job service as the HTTP server uses it. */
export interface JobsApi {
  list(filter: JobFilter): Promise<JobView[]>;
  /** The job with its recorded actions, or undefined when unknown. */
  get(id: string): Promise<JobView | undefined>;
  /** Cancels the job; undefined when unknown. A job already finished is a conflict (throw StateConflictError). */
  cancel(id: string, reason: string): Promise<JobView | undefined>;
  /** Counts by status and finished-job durations, for `/metrics`. */
  stats?(): { byStatus: Record<string, number>; byType?: Record<string, Record<string, number>> };
  /** Subscribes to job updates for `/api/stream`. */
  on?(listener: (update: JobUpdate) => void): () => void;
}

/** The store's batching writer, for `/metrics` (`ringmaster_store_*`). */
export type StoreStatsSource = () => {
  buffered: number;
  dropped: number;
  degraded: boolean;
};

/** What `configOverridesFor` needs from the port: saving overrides and reading them back. */
export type OverridesSource = Pick<HttpPort, "setOverrides" | "daemonConfig">;

/**
 * Overrides through the manager's store (`port.setOverrides`) when it has one, else in memory.
 * Saved values are read back as the keys whose source is the store layer.
 */
export function configOverridesFor(port: OverridesSource): ConfigOverrides {
  const setOverrides = port.setOverrides?.bind(port);
  if (!setOverrides) return memoryConfigOverrides();
  const savedOf = (daemon: string): Record<string, unknown> => {
    const resolved = port.daemonConfig(daemon);
    if (!resolved) return {};
    const out: Record<string, unknown> = {};
    for (const [key, source] of Object.entries(resolved.sources)) {
      if (source.kind !== "store") continue;
      out[key] =
        key in resolved.config
          ? resolved.config[key]
          : (resolved.spec as unknown as Record<string, unknown>)[key];
    }
    return out;
  };
  return {
    async save(daemon, patch) {
      await setOverrides(daemon, patch);
      return savedOf(daemon);
    },
    async get(daemon) {
      return savedOf(daemon);
    },
  };
}
