import { coerceError } from "../internal/errors.js";
import { currentOwner, type EscapeKind, type Owner, runAs } from "./async-context.js";

// The process-level half of containment (DESIGN.md §11): while at least one manager contains,
// the process has one `uncaughtException` and one `unhandledRejection` handler. An error is
// handed to the owner of the code it escaped from (a daemon's run, a job's attempt: their
// AsyncLocalStorage store, see async-context.ts), or, when no one owns it, to every containing
// manager. Node calls these handlers with the async context of the failing callback (for a
// throw) or of the promise (for a rejection) still current, which is what makes the owner known.
// An `'error'` event with no listener is a throw from the emit site, so it takes the same path.

/** What one containing manager does with an error no daemon or job owns. */
export interface UnownedHandler {
  unowned(error: Error, how: EscapeKind): void;
}

const containing = new Set<UnownedHandler>();

function dispatch(thrown: unknown, how: EscapeKind): void {
  const error = coerceError(thrown);
  const owner = currentOwner();
  if (owner) {
    try {
      owner.escaped(error, how);
      return;
    } catch (failure) {
      // The owner could not take it (a bug of ringmaster's): report both, as unowned.
      for (const c of containing) c.unowned(coerceError(failure), how);
    }
  }
  for (const c of containing) c.unowned(error, how);
}

/**
 * An error caught on `owner`'s behalf by code that runs several owners' callbacks in one turn
 * (the timer wheel: one daemon's throw must not stop the others' cycles). It goes where it would
 * have gone had it escaped `owner`'s own timer: to `owner` while anything contains, else it is
 * thrown again, as `owner`'s, on the next tick (an uncaught exception, as before).
 */
export function escapedFrom(owner: Owner, thrown: unknown): void {
  if (containing.size > 0) runAs(owner, dispatch, thrown, "uncaughtException");
  else
    runAs(owner, () =>
      process.nextTick(() => {
        throw thrown;
      }),
    );
}

const onException = (error: unknown) => dispatch(error, "uncaughtException");
const onRejection = (reason: unknown) => dispatch(reason, "unhandledRejection");

/**
 * Starts containing for `handler`: the first one installs the process's handlers. Returns the
 * function that stops it; the last one to stop removes them, leaving the process as it was.
 */
export function contain(handler: UnownedHandler): () => void {
  if (containing.size === 0) {
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
  }
  containing.add(handler);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    containing.delete(handler);
    if (containing.size === 0) {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    }
  };
}
