/**
 * `EventBus.idle`: when a subscriber (or the whole bus) has nothing it could deliver right now.
 * A mailbox is idle when no handler of it is running and no event is on its way to it (pending
 * routing, scheduled, draining) or deliverable from it; a closed mailbox, one waiting for a retry,
 * and a removed one count as idle. Waiters are checked wherever that can change.
 */
import type { BusCore } from "./bus-core.js";
import type { Mailbox } from "./mailbox.js";

export function isIdle(core: BusCore, mailbox: Mailbox): boolean {
  if (mailbox.running) return false;
  if (core.closed || mailbox.removed) return true;
  if (core.hasPending()) return false;
  if (mailbox.scheduled || mailbox.draining) return false;
  return !mailbox.open || mailbox.retryTimer !== null || !mailbox.hasDeliverable();
}

export function allIdle(core: BusCore): boolean {
  if (!core.closed && core.hasPending()) return false;
  for (const mailbox of core.mailboxes.values()) if (!isIdle(core, mailbox)) return false;
  return true;
}

/** Resolves the waiters whose mailbox (or bus) is idle now. */
export function checkIdle(core: BusCore): void {
  const waiters = core.idleWaiters;
  let everything: boolean | undefined;
  for (let i = 0; i < waiters.length; ) {
    const waiter = waiters[i]!;
    if (waiter.mailbox === null && everything === undefined) everything = allIdle(core);
    const done = waiter.mailbox === null ? everything === true : isIdle(core, waiter.mailbox);
    if (done) {
      waiters.splice(i, 1);
      waiter.resolve();
    } else {
      i++;
    }
  }
}

/** `EventBus.idle`: resolves at once for an unknown subscriber or one already idle. */
export function waitIdle(core: BusCore, subscriber: string | undefined): Promise<void> {
  const mailbox = subscriber === undefined ? null : (core.mailboxes.get(subscriber) ?? null);
  if (subscriber !== undefined && mailbox === null) return Promise.resolve();
  if (mailbox === null ? allIdle(core) : isIdle(core, mailbox)) return Promise.resolve();
  return new Promise<void>((resolve) => core.idleWaiters.push({ mailbox, resolve }));
}
