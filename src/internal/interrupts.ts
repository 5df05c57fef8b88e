/**
 * Telling a second Ctrl-C from the same one delivered twice. On a terminal, Ctrl-C sends SIGINT
 * to the whole foreground process group, and wrappers such as `npx`, `npm exec` and `tsx` also
 * relay it to their child: the manager then gets two SIGINTs for one keypress, a few
 * milliseconds apart. A signal within {@link DUPLICATE_SIGNAL_MS} of the first is that echo.
 */

/** A repeat this soon after the first signal is taken as the same interrupt. */
export const DUPLICATE_SIGNAL_MS = 1_000;

export type Interrupt = "first" | "duplicate" | "again";

/** Classifies each signal it is called for: the first, an echo of it, or a real second one. */
export function interruptCounter(now: () => number = Date.now): () => Interrupt {
  let first: number | undefined;
  return () => {
    const at = now();
    if (first === undefined) {
      first = at;
      return "first";
    }
    return at - first < DUPLICATE_SIGNAL_MS ? "duplicate" : "again";
  };
}
