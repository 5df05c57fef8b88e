/**
 * The published events the bus still holds, in one ring: those not yet routed (`pending`) and
 * the last `historySize` behind `EventBus.recent`. One array write per publish serves both, and
 * taking an event for routing writes nothing (measured: a store there cost ~5 ns of a ~55 ns
 * publish → handled). Events neither pending nor among the last `historySize`, which the ring
 * holds only once it has grown past `historySize` for a burst, are let go in bulk by
 * {@link EventLog.release} once routing has caught up.
 *
 * The two per-event steps are written in place where they happen, on these fields: `publish`
 * (`publish.ts`) appends — `grow()` first if `pending === capacity`, then `ring[next] = event`,
 * `next` one on (wrapping at `capacity`), `pending++`, `live++` up to `capacity` — and `route`
 * (`routing.ts`) takes the oldest pending event — `ring[head]`, `head` one on, `pending--`. As
 * method calls they cost ~3–5 ns more per event when the sources run as separate modules (tsc,
 * tsx), which V8 did not inline as it does in one bundle.
 */
import type { EventEnvelope } from "../registry/types.js";

/** The ring's capacity before any growth when `historySize` is smaller (bursts grow it). */
const MIN_CAPACITY = 16;

export class EventLog {
  ring: (EventEnvelope<string> | undefined)[];
  /** `ring.length`: at least `historySize`, doubled whenever pending events fill it. */
  capacity: number;
  /** The slot the next event goes to. */
  next = 0;
  /** The slot of the oldest pending event (when `pending` > 0). */
  head = 0;
  /** Published events not yet taken for routing: the newest `pending` in the ring. */
  pending = 0;
  /** The newest `live` slots may hold events; every older slot is empty. */
  live = 0;

  /** `historySize` 0 keeps no history: an event stays only until it is routed. */
  constructor(readonly historySize: number) {
    this.capacity = Math.max(historySize, MIN_CAPACITY);
    this.ring = emptySlots(this.capacity);
  }

  /**
   * Empties the slots of events that are neither pending nor among the last `historySize`, so
   * the ring keeps nothing else reachable. Each slot is emptied at most once per event put in it.
   */
  release(): void {
    const keep = this.pending > this.historySize ? this.pending : this.historySize;
    if (this.live <= keep) return;
    let slot = this.next - this.live;
    if (slot < 0) slot += this.capacity;
    for (let n = this.live - keep; n > 0; n--) {
      this.ring[slot] = undefined;
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    this.live = keep;
  }

  /** The last `limit` events of the history (at most `historySize`), oldest first. */
  recent(limit: number): EventEnvelope<string>[] {
    const count = Math.min(Math.max(0, Math.floor(limit)), this.historySize, this.live);
    const out: EventEnvelope<string>[] = [];
    let slot = this.next - count;
    if (slot < 0) slot += this.capacity;
    for (let i = 0; i < count; i++) {
      out.push(this.ring[slot]!);
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    return out;
  }

  /** Doubles the ring, which pending events fill: they are all it holds, oldest first. */
  grow(): void {
    const old = this.ring;
    const capacity = this.capacity;
    const ring = emptySlots(capacity * 2);
    for (let i = 0; i < capacity; i++) ring[i] = old[(this.head + i) % capacity];
    this.ring = ring;
    this.capacity = capacity * 2;
    this.head = 0;
    this.next = capacity;
  }
}

/** `n` empty slots in a packed array (V8 reads a packed array without checking for holes). */
function emptySlots(n: number): (EventEnvelope<string> | undefined)[] {
  const slots: (EventEnvelope<string> | undefined)[] = [];
  for (let i = 0; i < n; i++) slots.push(undefined);
  return slots;
}
