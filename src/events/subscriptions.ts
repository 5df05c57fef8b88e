/**
 * Ad-hoc subscriptions (`subscribe`, `subscribeAll`) for code outside any daemon: each gets a
 * mailbox of its own named `options.name` (made unique with `#2`, `#3`… if taken), open at once,
 * receiving events published from then on, and removed with the subscription.
 */
import type { EventHandler } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { settle } from "./routing.js";
import { createMailbox, removeMailbox } from "./subscribers.js";

/**
 * Subscribes `handler` to `type` (`ALL_TYPES` from `mailbox.ts` for every event) under a name derived from `name`.
 * Returns the unsubscribe function.
 */
export function subscribe(
  core: BusCore,
  type: string,
  handler: EventHandler<string>,
  name: string,
): () => void {
  const mailbox = createMailbox(core, uniqueName(core, name), "subscription", true);
  const queue = mailbox.queue(type);
  queue.handlers = [handler];
  core.routes.update(queue, core.external);
  return () => {
    settle(core);
    removeMailbox(core, mailbox);
  };
}

/** `base`, or `base#n` with the lowest free n ≥ 2 not handed out before for `base`. */
function uniqueName(core: BusCore, base: string): string {
  const mailboxes = core.mailboxes;
  if (!mailboxes.has(base)) return base;
  let n = core.subscriptionNames.get(base) ?? 2;
  while (mailboxes.has(`${base}#${n}`)) n++;
  core.subscriptionNames.set(base, n + 1);
  return `${base}#${n}`;
}
