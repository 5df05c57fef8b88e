/**
 * Writing how attempts ended. Outcomes that arrive while a write is in flight go together in the
 * next one (one statement for all of them); a failed write is tried again, 3 times per outcome
 * (after 200 ms, then 400 ms), and then given up: the job's lease expires and it is reclaimed.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobRecord } from "../registry/types.js";
import type { JobOutcome, Store } from "../store/types.js";

export interface FinishesOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  worker: string;
  /** The store recorded an attempt's end: `record` is the job as it is now. */
  finished(record: JobRecord): void;
}

/** An attempt's outcome waiting to be written. */
interface Finishing {
  job: JobRecord;
  outcome: JobOutcome;
  /** Writes tried so far. */
  tries: number;
  written: () => void;
}

const TRIES = 3;
const RETRY_STEP_MS = 200;

export function createFinishes({ store, clock, logger, worker, finished }: FinishesOptions) {
  const queue: Finishing[] = [];
  let flushing = false;

  const failed = (batch: Finishing[], thrown: unknown) => {
    for (const f of batch) {
      f.tries++;
      if (f.tries >= TRIES) {
        logger.error(
          { err: coerceError(thrown), job: f.job.id },
          "jobs: could not record how a job ended; its lease will expire and it will be reclaimed",
        );
        f.written();
        continue;
      }
      clock.setTimeout(() => {
        queue.push(f);
        void flush();
      }, RETRY_STEP_MS * f.tries);
    }
  };

  const written = (batch: Finishing[], records: (JobRecord | null)[]) => {
    batch.forEach((f, i) => {
      const record = records[i];
      if (record) {
        finished(record);
        const level = record.status === "failed" ? "warn" : "debug";
        logger[level](
          { job: f.job.id, type: f.job.type, attempt: f.job.attempts, status: record.status },
          `jobs: ${f.job.type} ${f.job.id} attempt ${f.job.attempts} → ${record.status}`,
        );
      }
      f.written();
    });
  };

  /** Writes queued outcomes until none is left. */
  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0);
        let records: (JobRecord | null)[];
        try {
          records = await store.finishJobs(
            worker,
            batch.map((f) => ({ id: f.job.id, outcome: f.outcome })),
            clock.now(),
          );
        } catch (thrown) {
          failed(batch, thrown);
          continue;
        }
        written(batch, records);
      }
    } finally {
      flushing = false;
    }
  }

  return {
    /** Writes how `job`'s attempt ended; resolves once written (or given up). Never rejects. */
    finish(job: JobRecord, outcome: JobOutcome): Promise<void> {
      return new Promise<void>((resolve) => {
        queue.push({ job, outcome, tries: 0, written: resolve });
        void flush();
      });
    },
  };
}
