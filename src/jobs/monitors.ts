/**
 * Monitors: the waiters of `ctx.jobs.monitor(id)`, settled when their job reaches a terminal
 * status. A wake-up or a terminal status update makes one lookup of every monitored job; a settled
 * monitor records its `monitored` action before it resolves. Jobs being cancelled here settle only
 * once their `cancelled` action is recorded, so a job's actions read launched → cancelled →
 * monitored.
 */
import type { Logger } from "pino";
import { deferred } from "../internal/deferred.js";
import { coerceError } from "../internal/errors.js";
import { AbortedError } from "../internal/sleep.js";
import type { JobRecord, MonitorOptions } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { isTerminal } from "./statuses.js";

interface Waiter {
  settle(job: JobRecord): void;
  fail(error: Error): void;
}

export interface MonitorsOptions {
  store: Store;
  log: Logger;
  /** Records the `monitored` action of `daemon` on job `id`. */
  recordMonitored(id: string, daemon: string, reason: string): Promise<unknown>;
  /** True once the service stopped: new monitors are refused. */
  stopped(): boolean;
}

export function createMonitors({ store, log, recordMonitored, stopped }: MonitorsOptions) {
  const waiters = new Map<string, Set<Waiter>>();
  const cancelling = new Set<string>();
  let checking: Promise<void> | undefined;
  let checkAgain = false;

  const settleWaiters = (job: JobRecord) => {
    const set = waiters.get(job.id);
    if (!set) return;
    waiters.delete(job.id);
    for (const waiter of set) waiter.settle(job);
  };

  /** Looks up every monitored job once; resolves the waiters of finished ones. */
  const check = async (): Promise<void> => {
    if (waiters.size === 0) return;
    if (checking) {
      checkAgain = true;
      return checking;
    }
    checking = (async () => {
      do {
        checkAgain = false;
        try {
          const jobs = await store.listJobs({ ids: [...waiters.keys()], limit: waiters.size });
          for (const job of jobs)
            if (isTerminal(job.status) && !cancelling.has(job.id)) settleWaiters(job);
        } catch (thrown) {
          log.debug({ err: coerceError(thrown) }, "jobs: checking monitored jobs failed");
        }
      } while (checkAgain && waiters.size > 0);
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  /** Resolves with job `id` at a terminal status; `daemon`'s `monitored` action is recorded first. */
  function monitor(daemon: string, id: string, options: MonitorOptions = {}): Promise<JobRecord> {
    const done = deferred<JobRecord>();
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (stopped()) return Promise.reject(new Error("the job service is stopped"));
    const forget = () => {
      const set = waiters.get(id);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(id);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      forget();
      done.reject(new AbortedError());
    };
    const waiter: Waiter = {
      settle(job) {
        forget();
        recordMonitored(id, daemon, `job ended ${job.status}`).then(
          () => done.resolve(job),
          (thrown) => done.reject(thrown),
        );
      },
      fail(error) {
        forget();
        done.reject(error);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const set = waiters.get(id) ?? new Set();
    set.add(waiter);
    waiters.set(id, set);
    store.getJob(id).then(
      (job) => {
        if (!job) waiter.fail(new Error(`no job with id "${id}"`));
        else if (isTerminal(job.status) && !cancelling.has(job.id)) settleWaiters(job);
      },
      (thrown) => waiter.fail(coerceError(thrown)),
    );
    return done.promise;
  }

  return {
    monitor,
    check,
    /** Whether somebody waits for job `id`. */
    watched: (id: string) => waiters.has(id),
    /** Runs `cancel` with job `id`'s monitors held back until it is done, then looks again. */
    async whileCancelling<T>(id: string, cancel: () => Promise<T>): Promise<T> {
      cancelling.add(id);
      try {
        return await cancel();
      } finally {
        cancelling.delete(id);
        if (waiters.has(id)) void check();
      }
    },
    /** Rejects every pending monitor with `error`. */
    failAll(error: Error): void {
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.fail(error);
    },
  };
}

export type Monitors = ReturnType<typeof createMonitors>;
