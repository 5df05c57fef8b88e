/**
 * Publishing: `publish` gives an event its seq, id and time, records it (journal, the bus's
 * event log — pending and history at once — then observers, so a listener that publishes or
 * routes sees events in publish order) and leaves it for routing; handlers never run inside
 * `publish`. Ids are `${idPrefix}${seq}` unless the caller supplies one (see `ids.ts`); a
 * supplied id switches the bus's dedup to looking ids up, since only then can an id repeat.
 */
import { type Clock, systemClock } from "../internal/clock.js";
import type { EventEnvelope } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { journalPublished } from "./journal.js";

/** With the system clock, `Date.now()` is read at most once per this many publishes in one run. */
const SYSTEM_TIME_REUSE = 256;

/**
 * The `time` stamp of published events. With `systemClock`, the clock is read once per
 * {@link SYSTEM_TIME_REUSE} publishes within one synchronous run (and afresh after every yield to
 * the event loop, see {@link forget}), because `Date.now()` costs more than the rest of a
 * publish (~120 ns on the benchmark machine, a publish ~50 ns); a stamp lags by at most the time
 * that run spent between two reads. Back to back, 256 publishes take ~15–30 µs, well inside
 * `Date.now()`'s 1 ms resolution (it was 32 until issue 17: ~4 ns of clock per event). Any other
 * clock is read on every publish.
 */
export class PublishTime {
  private readonly reuse: boolean;
  private uses = 0;
  private cached = 0;

  constructor(private readonly clock: Clock) {
    this.reuse = clock === systemClock;
  }

  now(): number {
    if (!this.reuse) return this.clock.now();
    if (this.uses === 0) {
      this.cached = this.clock.now();
      this.uses = SYSTEM_TIME_REUSE;
    }
    this.uses--;
    return this.cached;
  }

  /** Reads the clock afresh next time: called at every flush, i.e. after a yield. */
  forget(): void {
    this.uses = 0;
  }
}

/**
 * `EventBus.publish`: throws once the bus is closed, or the journal's `StoreUnavailableError`
 * when a durable bus cannot keep the event; `source` defaults to `"manager"`.
 */
export function publish(
  core: BusCore,
  type: string,
  payload: unknown,
  options: { source?: string; id?: string } | undefined,
): EventEnvelope<string> {
  if (core.closed) throw new Error(`event bus is closed: cannot publish ${String(type)}`);
  const seq = ++core.seq;
  let id: string | undefined;
  let source = "manager";
  if (options !== undefined) {
    if (options.id !== undefined) {
      id = options.id;
      core.dedupActive = true;
    }
    if (options.source !== undefined) source = options.source;
  }
  const event: EventEnvelope<string> = {
    id: id ?? core.nextEventId(seq),
    type,
    payload,
    source,
    time: core.time.now(),
    seq,
  };
  // First: a journal that refuses the event (the store unreachable, its spool full) throws a
  // StoreUnavailableError to the publisher, and nothing of the event remains.
  if (core.journal !== null) journalPublished(core, event);
  if (id !== undefined) core.supplied.add(event);
  core.counters.published++;
  const log = core.log; // appended in place, see event-log.ts
  if (log.pending === log.capacity) log.grow();
  const slot = log.next;
  log.ring[slot] = event;
  log.next = slot + 1 === log.capacity ? 0 : slot + 1;
  log.pending++;
  if (log.live < log.capacity) log.live++;
  if (core.observers.published) core.observers.emitPublished(event);
  core.queueFlush();
  return event;
}
