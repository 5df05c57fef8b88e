import { AsyncLocalStorage } from "node:async_hooks";

// Whose code is running (DESIGN.md §11, STYLE.md "Context travels with the work"). Every hook of
// an inline daemon, its event handlers and every job handler run inside an AsyncLocalStorage
// context naming their owner; Node carries it through every `await`, timer, immediate, I/O
// callback and EventEmitter the code creates, so an error that escapes later, or a loop that
// blocks the event loop after an `await`, can be blamed on the right owner.

/** How an error escaped its owner's code. */
export type EscapeKind = "uncaughtException" | "unhandledRejection";

/**
 * The owner of a piece of running code: a daemon's run or a job's attempt. `escaped` is called
 * (outside any daemon's hook, from the process's handler) with an error that nothing caught;
 * `stalled` with a stall of the event loop of `ms` milliseconds while its code was running.
 * Neither may throw.
 */
export interface Owner {
  readonly kind: "daemon" | "job";
  /** The daemon's name, or `job <type> <id>`. */
  readonly label: string;
  escaped(error: Error, how: EscapeKind): void;
  stalled?(ms: number): void;
}

/** The one storage of the process: several managers share it (each owner knows its own). */
const storage = new AsyncLocalStorage<Owner>();

/**
 * Runs `fn` as `owner`'s code: what it runs synchronously and everything it schedules (promises,
 * timers, I/O) carries `owner`. Costs nothing extra when `owner` is already the current one.
 */
export function runAs<A extends unknown[], R>(owner: Owner, fn: (...args: A) => R, ...args: A): R {
  return storage.run(owner, fn, ...args);
}

/** The owner of the code running now, if any. */
export function currentOwner(): Owner | undefined {
  return storage.getStore();
}

/**
 * Wraps `fn` so every call runs as the owner current when it was wrapped (or `owner`); used where
 * a callback is stored by one context and called by another (the event bus calls a handler
 * from the publisher's code; a manual clock calls timers from the test's).
 */
export function bindOwner<A extends unknown[], R>(
  fn: (...args: A) => R,
  owner: Owner | undefined = currentOwner(),
): (...args: A) => R {
  if (!owner) return fn;
  return (...args: A) => storage.run(owner, fn, ...args);
}

/**
 * Makes `owner` the current owner until the next switch, for a batch of callbacks run one after
 * another from one callback of the caller's (the timer wheel's batch): about a third of what a
 * {@link runAs} each costs. The batch restores the owner it began with when it ends, with
 * `switchOwner(previous)`, so nothing after it runs as the last callback's owner.
 */
export function switchOwner(owner: Owner | undefined): void {
  storage.enterWith(owner as Owner);
}

/** Runs `fn` as no one's code (for the manager's own timers, started from any context). */
export function runUnowned<R>(fn: () => R): R {
  return storage.exit(fn);
}
