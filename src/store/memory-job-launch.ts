/**
 * Launching in the memory store: a job (unless a live one holds its dedup key, or its id is
 * stored already), its `launched` action and the `jobs` wake-up; and recording actions.
 */
import type { JobActionRecord, JobRecord } from "../registry/types.js";
import { clone, FINISHED, json, type MemoryJobState } from "./memory-job-rows.js";
import type { JobMethods, StoreChannel } from "./types.js";

export function memoryLaunchMethods(
  state: MemoryJobState,
  need: () => void,
  notify: (channel: StoreChannel) => void,
): Pick<JobMethods, "launchJob" | "launchJobs" | "insertJob" | "addJobAction"> {
  const { jobs, actions } = state;

  const methods: Pick<JobMethods, "launchJob" | "launchJobs" | "insertJob" | "addJobAction"> = {
    async launchJob(input, action) {
      const inserted = await methods.insertJob(input);
      if (!inserted.created) return inserted;
      await methods.addJobAction({ ...action, jobId: inserted.job.id });
      notify("jobs");
      return inserted;
    },

    async launchJobs(launches) {
      need();
      const out: { job: JobRecord; created: boolean }[] = [];
      for (const { job, action } of launches) out.push(await methods.launchJob(job, action));
      return out;
    },

    async insertJob(input) {
      need();
      if (input.dedupKey !== null) {
        for (const job of jobs.values()) {
          if (job.dedupKey === input.dedupKey && !FINISHED.has(job.status))
            return { job: clone(job), created: false };
        }
      }
      const existing = jobs.get(input.id);
      if (existing) return { job: clone(existing), created: false };
      const job: JobRecord = {
        id: input.id,
        type: input.type,
        status: "pending",
        payload: json(input.payload),
        result: null,
        error: null,
        priority: input.priority,
        attempts: 0,
        maxAttempts: input.maxAttempts,
        runAt: input.runAt,
        dedupKey: input.dedupKey,
        progress: 0,
        progressMessage: null,
        launchedBy: input.launchedBy,
        reason: input.reason,
        lockedBy: null,
        leaseExpiresAt: null,
        cancelRequested: false,
        createdAt: input.now,
        updatedAt: input.now,
        startedAt: null,
        finishedAt: null,
      };
      jobs.set(job.id, job);
      return { job: clone(job), created: true };
    },

    async addJobAction(action) {
      need();
      const record: JobActionRecord = { id: state.nextActionId++, ...clone(action) };
      actions.push(record);
      return clone(record);
    },
  };
  return methods;
}
