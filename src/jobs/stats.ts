/**
 * The counts behind `JobService.stats()` (for `/metrics`): answered synchronously from the last
 * read of the store, which is started again in the background once it is older than `maxAgeMs`.
 */
import type { Clock } from "../internal/clock.js";
import type { JobStatus } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { JOB_STATUSES } from "./statuses.js";
import type { JobStats } from "./types.js";

export function createJobCounts(store: Store, clock: Clock, maxAgeMs: number) {
  let counts: JobStats["byType"] = {};
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting = false;

  const refresh = () => {
    if (counting) return;
    counting = true;
    store
      .countJobs()
      .then((c) => {
        counts = c;
        countedAt = clock.now();
      })
      .catch(() => {})
      .finally(() => {
        counting = false;
      });
  };

  return {
    /** The latest counts; `reread` false stops a stale read from starting (a stopped service). */
    read(reread: boolean): Pick<JobStats, "byStatus" | "byType"> {
      if (reread && clock.now() - countedAt > maxAgeMs) refresh();
      const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<
        JobStatus,
        number
      >;
      for (const perType of Object.values(counts))
        for (const [status, n] of Object.entries(perType)) byStatus[status as JobStatus] += n ?? 0;
      return { byStatus, byType: structuredClone(counts) };
    },
  };
}
