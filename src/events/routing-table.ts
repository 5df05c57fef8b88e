/**
 * The routing table: which type queues receive a published event of each type, and which
 * receive every event (`subscribeAll`). Lists are replaced, never mutated, so routing that is
 * under way keeps the list it started with; `version` changes with every change, which lets the
 * router reuse its last lookup while events of one type follow each other.
 */
import { ALL_TYPES, type TypeQueue } from "./mailbox.js";

export const NO_QUEUES: readonly TypeQueue[] = Object.freeze([]);

export class RoutingTable {
  /** Queues that receive events of a type, by type. */
  private readonly byType = new Map<string, readonly TypeQueue[]>();
  /** Queues that receive every event (`subscribeAll`). */
  wildcard: readonly TypeQueue[] = NO_QUEUES;
  /** Bumped whenever a list in the table changes. */
  version = 0;

  /** The queues listed for `type` (not counting {@link wildcard}). */
  targets(type: string): readonly TypeQueue[] {
    return this.byType.get(type) ?? NO_QUEUES;
  }

  /**
   * Lists `queue` or takes it out, to match what it should receive now: a queue of a removed
   * mailbox nothing; otherwise a declared queue or one with a handler — except that in durable
   * (`external`) mode declared queues are fed by injection, so only their undeclared siblings
   * with a handler are routed.
   */
  update(queue: TypeQueue, external: boolean): void {
    const wanted =
      !queue.mailbox.removed &&
      (external
        ? !queue.declared && queue.handlers.length !== 0
        : queue.declared || queue.handlers.length !== 0);
    if (wanted === queue.routed) return;
    queue.routed = wanted;
    this.version++;
    if (queue.type === ALL_TYPES && queue.mailbox.kind === "subscription") {
      this.wildcard = wanted ? [...this.wildcard, queue] : this.wildcard.filter((q) => q !== queue);
      return;
    }
    const current = this.byType.get(queue.type) ?? [];
    const next = wanted ? [...current, queue] : current.filter((q) => q !== queue);
    if (next.length === 0) this.byType.delete(queue.type);
    else this.byType.set(queue.type, next);
  }
}
