/**
 * Outcomes of attempts waiting to be written. The worker takes them in batches and writes each
 * batch in one statement, with its next claim riding along (`Store.finishAndClaimJobs`); a failed
 * write is tried again, 3 times per outcome (after 200 ms, then 400 ms), and then given up: the
 * job's lease expires and it is reclaimed. While the store is unreachable (an outage) failures
 * are not counted: the outcome is tried every second until the store is back, so an attempt
 * that ended during a short outage is recorded then instead of running again after its lease.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobRecord } from "../registry/types.js";
import type { JobOutcome } from "../store/types.js";

export interface FinishesOptions {
  clock: Clock;
  logger: Logger;
  /** The store recorded an attempt's end: `record` is the job as it is now. */
  finished(record: JobRecord): void;
  /** Outcomes are waiting (new ones, or ones to try again): take and write them. */
  ready(): void;
  /** The store is unreachable now (a failed write is then not counted against the tries). */
  unreachable?: () => boolean;
}

/** An attempt's outcome waiting to be written. */
export interface Finishing {
  job: JobRecord;
  outcome: JobOutcome;
  /** Writes tried so far. */
  tries: number;
  written: () => void;
}

const TRIES = 3;
const RETRY_STEP_MS = 200;
const OUTAGE_RETRY_MS = 1000;

export function createFinishes({ clock, logger, finished, ready, unreachable }: FinishesOptions) {
  const queue: Finishing[] = [];
  return {
    /** Queues how `job`'s attempt ended; resolves once written (or given up). Never rejects. */
    add(job: JobRecord, outcome: JobOutcome): Promise<void> {
      return new Promise<void>((resolve) => {
        queue.push({ job, outcome, tries: 0, written: resolve });
        ready();
      });
    },
    /**
     * A cancel arrived for job `id` after its handler failed but before the outcome was written:
     * the waiting failure becomes `cancelled` with the cancel's reason. False when none waits.
     */
    cancelWaiting(id: string, reason: string): boolean {
      const f = queue.find((w) => w.job.id === id && w.outcome.status === "failed");
      if (!f) return false;
      f.outcome = { status: "cancelled", error: reason };
      return true;
    },
    /** How many outcomes wait to be written. */
    waiting: (): number => queue.length,
    /** Up to `max` outcomes to write now, oldest first. */
    take: (max: number): Finishing[] => queue.splice(0, max),
    /** `batch` was written: `records[i]` is its i-th job now, null where the attempt was not ours. */
    written(batch: readonly Finishing[], records: readonly (JobRecord | null)[]): void {
      batch.forEach((f, i) => {
        const record = records[i];
        if (record) {
          finished(record);
          const level = record.status === "failed" ? "warn" : "debug";
          // Not even built when the level is off (a line per job).
          if (logger.isLevelEnabled(level))
            logger[level](
              { job: f.job.id, type: f.job.type, attempt: f.job.attempts, status: record.status },
              `jobs: ${f.job.type} ${f.job.id} attempt ${f.job.attempts} → ${record.status}`,
            );
        }
        f.written();
      });
    },
    /** Writing `batch` failed: each outcome is tried again later, or given up after {@link TRIES}. */
    failed(batch: readonly Finishing[], thrown: unknown): void {
      const outage = unreachable?.() ?? false;
      for (const f of batch) {
        if (outage) {
          clock.setTimeout(() => {
            queue.push(f);
            ready();
          }, OUTAGE_RETRY_MS);
          continue;
        }
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
          ready();
        }, RETRY_STEP_MS * f.tries);
      }
    },
  };
}
