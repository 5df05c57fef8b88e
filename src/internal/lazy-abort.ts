/**
 * An abort whose `AbortSignal` is made only when something reads it, already aborted with the
 * same reason if the abort came first. A daemon's run and a job's attempt each have one: a
 * signal costs ~1 KB (an EventTarget with its listener maps) and more than the rest of a short
 * job's start, and most periodic daemons and short handlers never look at theirs. The
 * supervisor or worker aborts here (stop, cancel, timeout, lost lease, shutdown).
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private listeners: (() => void)[] | undefined;
  /** Whether it was aborted. */
  aborted = false;
  /** Why, once aborted. */
  reason: unknown;

  /** The signal (made now if not yet), aborted already if this was. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts with `reason` (the first abort wins). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  /** Calls `listener` once, when this is aborted (not if it was already). */
  onAbort(listener: () => void): void {
    if (this.aborted) return;
    this.listeners ??= [];
    this.listeners.push(listener);
  }
}
