/**
 * Logging a failure that repeats during a store outage: the first occurrence with its error (and
 * stack), then at most one line per interval with a count, then one line when it recovers —
 * rather than the same stack every second.
 */
import type { Clock } from "../internal/clock.js";
import { describeError } from "../internal/errors.js";

export interface OutageLogOptions {
  clock: Clock;
  /** ms between summary lines while the failure lasts. */
  interval: number;
  /** The first failure, in full. */
  error(error: Error, context: string): void;
  /** Summary and recovery lines. */
  notice(message: string): void;
}

/**
 * `failed(what, error)` each time an operation fails, `succeeded(what)` each time it works; one
 * outage per `what`. Lines: the first error; `<what>: still failing, N times in the last 30 s
 * (<error>)`; `<what>: recovered after 12 s (N failures)`.
 */
export function createOutageLog(options: OutageLogOptions) {
  const outages = new Map<
    string,
    { since: number; lastLine: number; count: number; total: number }
  >();
  return {
    failed(what: string, error: Error): void {
      const now = options.clock.now();
      const outage = outages.get(what);
      if (!outage) {
        outages.set(what, { since: now, lastLine: now, count: 0, total: 1 });
        options.error(error, what);
        return;
      }
      outage.count++;
      outage.total++;
      if (now - outage.lastLine >= options.interval) {
        options.notice(
          `${what}: still failing, ${outage.count} times in the last ${Math.round((now - outage.lastLine) / 1000)} s (${describeError(error)})`,
        );
        outage.lastLine = now;
        outage.count = 0;
      }
    },
    succeeded(what: string): void {
      const outage = outages.get(what);
      if (!outage) return;
      outages.delete(what);
      const seconds = Math.round((options.clock.now() - outage.since) / 1000);
      options.notice(`${what}: recovered after ${seconds} s (${outage.total} failures)`);
    },
  };
}
