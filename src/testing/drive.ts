/**
 * Driving a manual clock until some work is done: small steps first (so timers that real code
 * arms a little later still fire in order), then jumps from timer to timer, so a test never waits
 * in real time and a long schedule (an hourly cron) costs a handful of steps.
 */
import type { ManualClock } from "../index.js";

/** Manual time spent in small steps before jumping from timer to timer. */
const FINE_SPAN = 5_000;
/** The small step, in manual ms. */
const FINE_STEP = 10;
/** Driving gives up after this much manual time by default: one day. */
export const DRIVE_LIMIT = 24 * 60 * 60 * 1000;

/**
 * Moves `clock` on until `done()` is true: `FINE_STEP` ms at a time for the first `FINE_SPAN`
 * ms, then to each next timer. Throws, saying `what`, when `limit` ms of manual time pass first
 * or no timer is left to fire.
 */
export async function driveUntil(
  clock: ManualClock,
  done: () => boolean,
  what: string,
  limit = DRIVE_LIMIT,
): Promise<void> {
  const start = clock.now();
  await clock.settle();
  while (!done()) {
    const spent = clock.now() - start;
    if (spent > limit) throw new Error(`${what}: not done after ${limit} ms of manual time`);
    if (spent < FINE_SPAN) await clock.advance(FINE_STEP);
    else if (!(await clock.next())) {
      await clock.settle();
      if (!done()) throw new Error(`${what}: not done, and no timer is left to fire`);
    }
  }
}

/** Resolves with what `promise` resolves to, driving `clock` until it settles. */
export async function drive<T>(
  clock: ManualClock,
  promise: Promise<T>,
  what: string,
  limit?: number,
): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => {}); // the caller sees the rejection from the await below
  await driveUntil(clock, () => settled, what, limit);
  return tracked;
}
