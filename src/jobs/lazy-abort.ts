/**
 * An attempt's abort, whose `AbortSignal` is made only when something reads it: the handler
 * (`ctx.signal`) or a program or guest that needs it. Making an AbortController per attempt cost
 * a short job more than the rest of its start; most short handlers never look at the signal.
 * The worker aborts the attempt here (cancel, timeout, lost lease, shutdown); the signal, made
 * before or after, carries the same reason.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private listeners: (() => void)[] | undefined;
  /** Whether the attempt was aborted. */
  aborted = false;
  /** Why, once aborted. */
  reason: unknown;

  /** The attempt's signal (made now if not yet), aborted already if the attempt was. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the attempt with `reason` (the first abort wins). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  /** Calls `listener` once, when the attempt is aborted (not if it was already). */
  onAbort(listener: () => void): void {
    if (this.aborted) return;
    this.listeners ??= [];
    this.listeners.push(listener);
  }
}
