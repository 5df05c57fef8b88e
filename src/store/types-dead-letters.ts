/**
 * Dead letters: events a subscriber gave up on, each with its own copy of the event, kept until
 * an operator replays or drops them. Declared here, part of the `Store`.
 */
import type { DeadLetter } from "../events/types.js";

/** The dead letters part of the `Store`. */
export interface DeadLetterMethods {
  /** Stores a dead letter; one with an id already stored is ignored. */
  addDeadLetter(letter: DeadLetter): Promise<void>;
  /** Oldest first. */
  listDeadLetters(query?: { subscriber?: string; limit?: number }): Promise<DeadLetter[]>;
  /** The letter with `id`, or null. */
  getDeadLetter(id: string): Promise<DeadLetter | null>;
  /** Removes a letter (re-delivered, or dropped by an operator); false if there was none. */
  removeDeadLetter(id: string): Promise<boolean>;
}
