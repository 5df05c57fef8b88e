/**
 * `ctx.log` of a job attempt: each line goes to the manager's logger (with the job's type, id and
 * attempt) and to the store's log table under `job:<type>`. Logging never throws into the job.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import type { DaemonLogger, JobRecord, LogLevel } from "../registry/types.js";
import type { Store } from "../store/types.js";

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

export function jobLogger(
  job: JobRecord,
  logger: Logger,
  store: Store,
  clock: Clock,
  node: string,
): DaemonLogger {
  let child: Logger | undefined;
  const log = {} as DaemonLogger;
  for (const level of LEVELS) {
    log[level] = (message, fields) => {
      try {
        // The child logger is made on the first line: most jobs never log.
        child ??= logger.child({ job: job.type, jobId: job.id, attempt: job.attempts });
        child[level](fields ?? {}, message);
        store.writes.log({
          time: clock.now(),
          daemon: `job:${job.type}`,
          level,
          message: String(message),
          fields: { ...(fields ?? {}), jobId: job.id, attempt: job.attempts },
          node,
        });
      } catch {
        // logging never breaks a job
      }
    };
  }
  return log;
}
