/**
 * The recent-events ring behind `EventBus.recent`: the last `size` published events, kept by
 * overwriting the oldest, so publishing costs one array write and never allocates.
 */
import type { EventEnvelope } from "../registry/types.js";

export class EventHistory {
  private readonly events: EventEnvelope<string>[] = [];
  /** The slot the next event goes to; once the ring is full, also the oldest event's slot. */
  private next = 0;

  /** `size` 0 keeps nothing. */
  constructor(readonly size: number) {}

  add(event: EventEnvelope<string>): void {
    if (this.size === 0) return;
    this.events[this.next] = event;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
  }

  /** The last `limit` events held (at most `size`), oldest first. */
  recent(limit: number): EventEnvelope<string>[] {
    const events = this.events;
    const held = events.length;
    const count = Math.min(Math.max(0, Math.floor(limit)), held);
    const start = held < this.size ? 0 : this.next;
    const out: EventEnvelope<string>[] = [];
    for (let i = held - count; i < held; i++) out.push(events[(start + i) % held]!);
    return out;
  }
}
