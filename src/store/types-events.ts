/**
 * Events and subscriber cursors: the durable event log the bus appends to and declared
 * subscribers read after their cursor. Declared here, part of the `Store`.
 */
import type { EventEnvelope } from "../registry/types.js";

/** An event to append: the envelope without its `seq`, which the store assigns. */
export type NewEvent = Omit<EventEnvelope<string>, "seq">;

export interface EventQuery {
  /** Events with `seq` greater than this; 0 for all. */
  afterSeq: number;
  types?: readonly string[];
  limit: number;
}

/**
 * The events part of the `Store`. Seqs increase in commit order and an event id is stored
 * once; cursors only move forward (see the `Store`).
 */
export interface EventMethods {
  /**
   * Removes up to `limit` of the oldest events (default 250: one short statement) that
   * retention lets go: those beyond the newest `maxRows`, and those older than `maxAgeMs` that
   * every subscriber with a cursor has passed (see `trimmablePrefix`). Returns how many it removed;
   * `limit` removed means more may follow. (Dead letters keep their own copy of the event.)
   */
  trimEvents(retention: {
    maxAgeMs: number;
    maxRows?: number;
    now: number;
    limit?: number;
  }): Promise<number>;
  /** Appends events in order; returns their seqs, in the same order. */
  appendEvents(events: readonly NewEvent[]): Promise<number[]>;
  /** Events after a seq, in seq order. */
  readEvents(query: EventQuery): Promise<EventEnvelope<string>[]>;
  /** The last seq a declared subscriber handled; 0 if none. */
  getCursor(subscriber: string): Promise<number>;
  setCursor(subscriber: string, seq: number): Promise<void>;
}
