import type { Clock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";

/**
 * One part of the runtime (the store, event delivery, jobs, the HTTP server…), the way fx runs
 * its hooks. `start(signal)` resolves when the part is up, rejects when it cannot come up; the
 * signal aborts when shutdown begins, and a part should then finish quickly. `stop(timeout)` is
 * called once, only after `start` resolved, and should be done within `timeout` ms.
 */
export interface Part {
  readonly name: string;
  start(signal: AbortSignal): Promise<void> | void;
  stop(timeout: number): Promise<void> | void;
}

/** How one part stopped, for the manager's shutdown report. */
export interface PartReport {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface LifecycleOptions {
  clock: Clock;
  parts: readonly Part[];
  /** Start and stop timeouts by part name (ms); a part without one has no limit. */
  timeouts: {
    start: Readonly<Record<string, number>>;
    stop: Readonly<Record<string, number>>;
  };
}

export interface Lifecycle {
  /**
   * Starts the parts in order, once; later calls resolve at once (or retry after a failure).
   * A part that fails or misses its start timeout makes this reject with its error, after the
   * parts before it were stopped in reverse. When `signal` aborts, no further part starts and
   * this resolves; `stop()` then stops what did start.
   */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Waits for a start in progress (within `timeoutFor()`), then stops the started parts in
   * reverse order, each within `min(its stop timeout, timeoutFor())`. Never rejects.
   */
  stop(timeoutFor: () => number): Promise<PartReport[]>;
  /** Waits up to `timeout` ms for a start in progress to end; false if it is still going. */
  idle(timeout: number): Promise<boolean>;
  /** Names of the parts that are up, in start order. */
  readonly running: readonly string[];
}

/** Builds the lifecycle that starts `parts` in order and stops the started ones backwards. */
export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { clock, parts, timeouts } = options;
  const up: Part[] = [];
  let starting: Promise<void> | undefined;
  let startedAll = false;

  async function startPart(part: Part, signal: AbortSignal): Promise<void> {
    const limit = timeouts.start[part.name];
    const outcome = await withTimeout(
      clock,
      Promise.resolve().then(() => part.start(signal)),
      limit,
    );
    if (!outcome.ok)
      throw new Error(
        `${part.name} did not start within ${formatDuration(limit ?? 0)} (start timeout of ${part.name})`,
      );
  }

  async function stopPart(part: Part, budget: number): Promise<PartReport> {
    const named = timeouts.stop[part.name];
    const limit = named === undefined ? budget : Math.min(named, budget);
    const t0 = clock.now();
    const report = (error?: string): PartReport => ({
      name: part.name,
      ok: error === undefined,
      durationMs: clock.now() - t0,
      ...(error === undefined ? {} : { error }),
    });
    try {
      const outcome = await withTimeout(
        clock,
        Promise.resolve().then(() => part.stop(limit)),
        limit,
      );
      if (outcome.ok) return report();
      const which = named !== undefined && named <= budget ? "its stop timeout" : "the shutdown";
      return report(`${part.name} did not stop within ${formatDuration(limit)} (${which})`);
    } catch (error) {
      return report(`${part.name} failed to stop: ${describeError(coerceError(error))}`);
    }
  }

  async function stopStarted(timeoutFor: () => number): Promise<PartReport[]> {
    const reports: PartReport[] = [];
    while (up.length > 0) {
      const part = up.pop() as Part;
      reports.push(await stopPart(part, timeoutFor()));
    }
    return reports;
  }

  async function startAll(signal: AbortSignal): Promise<void> {
    for (const part of parts.slice(up.length)) {
      if (signal.aborted) return;
      try {
        await startPart(part, signal);
      } catch (error) {
        await stopStarted(() => Number.POSITIVE_INFINITY);
        throw error;
      }
      up.push(part);
    }
    startedAll = !signal.aborted || up.length === parts.length;
  }

  return {
    get running() {
      return up.map((p) => p.name);
    },
    start(signal) {
      if (startedAll) return Promise.resolve();
      starting ??= startAll(signal).finally(() => {
        starting = undefined;
      });
      return starting;
    },
    async idle(timeout) {
      if (!starting) return true;
      return (
        await withTimeout(
          clock,
          starting.catch(() => {}),
          timeout,
        )
      ).ok;
    },
    async stop(timeoutFor) {
      await this.idle(timeoutFor());
      return stopStarted(timeoutFor);
    },
  };
}
