import { AsyncLocalStorage, executionAsyncResource } from "node:async_hooks";

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
 * Where a batch switches owners: the async resource current for the whole batch (the timer
 * wheel's callback), or undefined to go through `enterWith`. Node 20's AsyncLocalStorage keeps
 * its store as a property of the current async resource (under its `kResourceStore` symbol),
 * and `enterWith` looks that resource up on every call (`executionAsyncResource`, a megamorphic
 * property load); a batch of hundreds of cycles looks it up once and writes the property itself.
 * Whether the storage works so is checked once, on first use (see {@link probeResourceKey}); where
 * it does not (another Node), every switch is an `enterWith`.
 */
export type OwnerSlot = Record<symbol, Owner | undefined> | undefined;

/** The storage's resource key; null: not usable (every switch an `enterWith`); undefined: not probed. */
let resourceKey: symbol | null | undefined;

/** The slot a batch run from the current callback switches owners in (see {@link switchOwnerIn}). */
export function batchOwnerSlot(): OwnerSlot {
  if (resourceKey === undefined) resourceKey = probeResourceKey();
  if (resourceKey === null) return undefined;
  return executionAsyncResource() as OwnerSlot;
}

/**
 * Makes `owner` the current owner until the next switch, for a batch of callbacks run one after
 * another from one callback of the caller's (the timer wheel's batch), in the slot from
 * {@link batchOwnerSlot} (an `enterWith` where there is none). The batch switches back to the
 * owner it began with when it ends, so nothing after it runs as the last callback's owner.
 */
export function switchOwnerIn(slot: OwnerSlot, owner: Owner | undefined): void {
  if (slot !== undefined) slot[resourceKey as symbol] = owner;
  else storage.enterWith(owner as Owner);
}

/**
 * The storage's resource key if writing it on the current resource is what `enterWith` does:
 * inside a `run`, the resource holds the run's store under the key, and a store written there is
 * what `getStore` returns.
 */
function probeResourceKey(): symbol | null {
  const key = (storage as unknown as { kResourceStore?: unknown }).kResourceStore;
  if (typeof key !== "symbol") return null;
  const probe: Owner = { kind: "daemon", label: "probe", escaped() {} };
  const other: Owner = { kind: "daemon", label: "probe", escaped() {} };
  return storage.run(probe, () => {
    const resource = executionAsyncResource() as Record<symbol, unknown>;
    if (resource[key] !== probe) return null;
    resource[key] = other;
    const works = storage.getStore() === other;
    resource[key] = probe;
    return works ? key : null;
  });
}

/** Runs `fn` as no one's code (for the manager's own timers, started from any context). */
export function runUnowned<R>(fn: () => R): R {
  return storage.run(undefined as unknown as Owner, fn);
}
