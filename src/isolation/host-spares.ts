/** How a kind of guest is parked as a spare and brought back into service. */
export interface SpareKind<T> {
  /** Starts a fresh guest for `key` (it loads nothing until asked to). */
  make(key: string): T;
  /** Lets it idle without keeping the manager's event loop alive. */
  park(guest: T): void;
  /** Takes it into service. */
  unpark(guest: T): void;
  /** Calls `listener` when it ends on its own. */
  onEnd(guest: T, listener: () => void): void;
  /** Ends it; resolves once it is gone (the thread stopped, the process exited). */
  end(guest: T): Promise<void>;
}

/** ms after a spare was taken before its replacement starts: a restart gets the CPU first. */
const REFILL_DELAY = 200;

/**
 * One warm spare guest per key (entry and limits): a restart takes the spare, which has
 * already paid for starting Node, tsx and the guest runtime, so only the spec module's import
 * and setup remain; a new spare starts shortly after. A spare costs one idle thread or process.
 * Managers hold the spares while they run ({@link holdSpares}): when the last one stops, every
 * spare is ended; a parked process also watches its parent, so it leaves with a manager that was
 * killed.
 */
export class Spares<T> {
  private parked = new Map<string, T>();
  private refills = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private kind: SpareKind<T>) {
    everySpares.add(this as Spares<unknown>);
  }

  /** The spare for `key` if there is one, else a fresh guest; either way a spare is made next. */
  take(key: string): T {
    this.closed = false; // a new run after a close: spares are made again
    const spare = this.parked.get(key);
    this.parked.delete(key);
    this.refill(key);
    if (spare === undefined) return this.kind.make(key);
    this.kind.unpark(spare);
    return spare;
  }

  /**
   * Ends every spare and makes no more until the next `take`; resolves once they are all gone.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const timer of this.refills.values()) clearTimeout(timer);
    this.refills.clear();
    const ending = [...this.parked.values()].map((spare) => this.kind.end(spare));
    this.parked.clear();
    return Promise.all(ending).then(() => {});
  }

  /** The guests parked now (for tests). */
  get spares(): readonly T[] {
    return [...this.parked.values()];
  }

  private refill(key: string): void {
    if (this.closed || this.refills.has(key)) return;
    const timer = setTimeout(() => {
      this.refills.delete(key);
      if (this.closed || this.parked.has(key)) return;
      const spare = this.kind.make(key);
      this.kind.park(spare);
      this.parked.set(key, spare);
      this.kind.onEnd(spare, () => {
        if (this.parked.get(key) === spare) this.parked.delete(key);
      });
    }, REFILL_DELAY);
    timer.unref();
    this.refills.set(key, timer);
  }
}

const everySpares = new Set<Spares<unknown>>();
let holders = 0;

/**
 * Holds the spares of every kind while a manager runs. The returned release ends them all —
 * and resolves once they are gone — when no other manager in this process holds them any more
 * (the manager's programs part calls it as it stops). Idempotent.
 */
export function holdSpares(): () => Promise<void> {
  holders++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    holders--;
    if (holders === 0) await Promise.all([...everySpares].map((spares) => spares.close()));
  };
}
