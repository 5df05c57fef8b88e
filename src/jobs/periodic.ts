/**
 * Periodic tasks of the job service on the injected clock: each repeats `ms` after its previous
 * run ended (runs never overlap), a failing run is logged and the next one still comes, and
 * `clear()` stops them all. Timers are unref'd: they never keep the process alive.
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";

export function createPeriodic(clock: Clock, log: Logger, active: () => boolean) {
  const timers = new Set<TimerHandle>();
  return {
    every(ms: number, fn: () => Promise<unknown>): void {
      const loop = () => {
        const timer = clock.setTimeout(async () => {
          timers.delete(timer);
          if (!active()) return;
          try {
            await fn();
          } catch (thrown) {
            log.warn({ err: coerceError(thrown) }, "jobs: a periodic task failed");
          }
          if (active()) loop();
        }, ms);
        (timer as { unref?: () => void }).unref?.();
        timers.add(timer);
      };
      loop();
    },
    clear(): void {
      for (const timer of timers) clock.clearTimeout(timer);
      timers.clear();
    },
  };
}
