/** The events folder's public surface: `createEventBus` and the bus's types. */
export { type CreateEventBusOptions, createEventBus } from "./bus.js";
export type { EventJournal } from "./journal.js";
export type {
  BusEvents,
  BusStats,
  DeadLetter,
  EventBus,
  MailboxStats,
} from "./types.js";
