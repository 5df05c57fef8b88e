/**
 * A running attempt's progress reports: each is emitted at once and written at most every
 * `throttleMs` (the last value is always written, by the trailing timer or by `flush()`).
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobRecord } from "../registry/types.js";
import type { Store } from "../store/types.js";

export interface ProgressOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  worker: string;
  throttleMs: number;
  /** The job's progress changed (after `job.progress` was updated). */
  emit(job: JobRecord): void;
}

export function createProgress(job: JobRecord, options: ProgressOptions) {
  const { store, clock, logger } = options;
  let last = { percent: job.progress, message: job.progressMessage };
  let writtenAt = Number.NEGATIVE_INFINITY;
  let timer: TimerHandle | undefined;
  let pending = false;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    timer = undefined;
    pending = false;
    writtenAt = clock.now();
    const { percent, message } = last;
    writing = writing.then(() =>
      store
        .setJobProgress(job.id, options.worker, percent, message, clock.now())
        .then(() => {})
        .catch((thrown) =>
          logger.debug({ err: coerceError(thrown) }, "jobs: a progress write failed"),
        ),
    );
  };
  return {
    /** `ctx.progress`: percent is clamped to 0..100 and rounded; a non-number is ignored. */
    report(percent: number, message?: string) {
      if (!Number.isFinite(percent)) return;
      const p = Math.round(Math.min(100, Math.max(0, percent)));
      last = { percent: p, message: message ?? null };
      job.progress = p;
      job.progressMessage = last.message;
      options.emit(job);
      const wait = writtenAt + options.throttleMs - clock.now();
      if (wait <= 0) write();
      else if (!pending) {
        pending = true;
        timer = clock.setTimeout(write, wait);
      }
    },
    /** Writes a report still waiting for its throttle, then resolves once every write ended. */
    async flush() {
      if (timer !== undefined) {
        clock.clearTimeout(timer);
        write();
      }
      await writing;
    },
  };
}
