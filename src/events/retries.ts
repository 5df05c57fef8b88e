/**
 * Retries of a failed handler. A handler that throws or rejects is called again after
 * `retryDelay × 2^(n−1)` ms (n = attempts so far) on the injected clock — with the defaults
 * 100 ms, then 200 ms, then the third failure dead-letters the event (`maxAttempts` = 3) and the
 * next event is delivered. Later events for that subscriber wait meanwhile. With several handlers
 * for one type, a retry resumes at the handler that failed. Closing the mailbox or detaching
 * during the wait cancels the retry; the event stays first in line and is delivered afresh later.
 * (The timer's callback, which resumes delivery, is `mailbox.onRetry`; see `delivery.ts`.)
 */
import { coerceError, describeError } from "../internal/errors.js";
import type { BusCore } from "./bus-core.js";
import { deadLetter } from "./dead-letters.js";
import type { Mailbox } from "./mailbox.js";

/**
 * The current handler of `mailbox` failed with `thrown`: schedule a retry, or dead-letter the
 * event once it has had `maxAttempts`. True when the delivery is over (dead-lettered).
 */
export function fail(core: BusCore, mailbox: Mailbox, thrown: unknown): boolean {
  mailbox.running = false;
  const queue = mailbox.currentQueue!;
  if (mailbox.attempts >= core.maxAttempts) {
    const event = mailbox.current!;
    const attempts = mailbox.attempts;
    mailbox.shift(queue);
    clearCurrent(mailbox);
    deadLetter(core, queue, event, "handler-failed", describeError(coerceError(thrown)), attempts);
    return true;
  }
  if (core.closed || !mailbox.open || queue.handlers.length === 0) {
    // Paused or detached meanwhile: the event stays first in line for the next delivery.
    clearCurrent(mailbox);
    return false;
  }
  core.counters.retried++;
  const delay = core.retryDelay * 2 ** (mailbox.attempts - 1);
  mailbox.attempts++;
  mailbox.retryTimer = core.clock.setTimeout(mailbox.onRetry, delay);
  return false;
}

/** Forgets the delivery in progress; its event, if still queued, is delivered afresh later. */
export function clearCurrent(mailbox: Mailbox): void {
  mailbox.current = null;
  mailbox.currentQueue = null;
  mailbox.handlerIndex = 0;
  mailbox.attempts = 0;
}

/** Cancels a waiting retry of `mailbox` (and forgets that delivery); nothing if none waits. */
export function cancelRetry(core: BusCore, mailbox: Mailbox): void {
  if (mailbox.retryTimer === null) return;
  core.clock.clearTimeout(mailbox.retryTimer);
  mailbox.retryTimer = null;
  clearCurrent(mailbox);
}
