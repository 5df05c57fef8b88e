/**
 * Store calls with a bound on the wait: a call that does not answer in time (a hung connection)
 * is abandoned, so a holder's deadline checks never wait behind it.
 */
import type { Clock } from "../internal/clock.js";

/** The store's answer to `pending`, or a rejection naming `what` once the bound passed. */
export type StoreAnswer = <T>(what: string, pending: Promise<T>) => Promise<T>;

/** Answers within `ms` on `clock`. */
export function answerWithin(clock: Clock, ms: number): StoreAnswer {
  return <T>(what: string, pending: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new Error(`the store did not answer ${what} within ${ms} ms`)),
        ms,
      );
      pending.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
}
