/**
 * What `createEventBus` is given: {@link CreateEventBusOptions}, the tuning it resolves against
 * `EVENT_BUS_DEFAULTS` (each value checked once, here), and where errors go when nobody asked.
 */
import type { Clock } from "../internal/clock.js";
import { EVENT_BUS_DEFAULTS } from "../registry/defaults.js";
import type { EventBusOptions } from "../registry/types.js";
import type { EventJournal } from "./journal.js";

export interface CreateEventBusOptions {
  /** Stamps `time` on events and dead letters, and runs retry timers. */
  clock: Clock;
  /** Tuning; unset fields come from `EVENT_BUS_DEFAULTS`. */
  options?: Partial<EventBusOptions>;
  /** Errors the bus cannot hand to anyone else: observer listeners and journal hooks. */
  onError?: (error: Error, context: string) => void;
  /** Prefix of generated event ids (`${idPrefix}${seq}`); default: random per bus. */
  idPrefix?: string;
  /** Durable-delivery hooks; see {@link EventJournal}. */
  journal?: EventJournal;
  /** Seq of the last event published before this bus existed (a resumed durable bus); default 0. */
  initialSeq?: number;
  /**
   * Durable mode: declared subscribers are fed only through {@link EventBus.inject} (by the store
   * reader, in the store's order), not by `publish`. Live subscriptions still get every publish.
   */
  external?: boolean;
}

/** The lowest legal value of each option; every option is an integer. */
const MINIMUM: Record<keyof EventBusOptions, number> = {
  mailboxCapacity: 1,
  dedupWindow: 0,
  maxAttempts: 1,
  retryDelay: 0,
  deadLetterCapacity: 0,
  historySize: 0,
};

/**
 * `given` over `EVENT_BUS_DEFAULTS` (an `undefined` field keeps the default). Throws a
 * `RangeError` naming the first option that is not an integer at or above its minimum.
 */
export function resolveOptions(given: Partial<EventBusOptions> | undefined): EventBusOptions {
  const options = { ...EVENT_BUS_DEFAULTS };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (options as Record<string, number>)[key] = value;
  }
  for (const key of Object.keys(MINIMUM) as (keyof EventBusOptions)[]) {
    const value = options[key];
    if (!Number.isInteger(value) || value < MINIMUM[key]) {
      throw new RangeError(
        `event bus option ${key} must be an integer >= ${MINIMUM[key]}, got ${String(value)}`,
      );
    }
  }
  return options;
}

/** The error sink of a bus created without `onError`. */
export function defaultOnError(error: Error, context: string): void {
  console.error(`ringmaster event bus (${context}):`, error);
}
