import { AsyncResource } from "node:async_hooks";

/**
 * Time, injected. Every timer in ringmaster goes through a `Clock`, so tests can replace real
 * time with a {@link ManualClock} and advance it without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Optional: starts a fired (or pending) timer again with its original delay and callback,
   * without allocating a new one. Periodic daemons use it when available.
   */
  refresh?(handle: TimerHandle): TimerHandle;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The real clock: `Date.now` and Node's timers. Timers are unref'd only if asked. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  refresh: (handle) => (handle as NodeJS.Timeout).refresh(),
};

interface PendingTimer {
  id: number;
  due: number;
  ms: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer due within `ms`, in due
 * order, letting promises settle between timers, so code awaiting timers behaves as it would in
 * real time, only instantly.
 */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order and settling promises between them. */
  advance(ms: number): Promise<void>;
  /** Moves time to the next pending timer and fires it; returns false if none is pending. */
  next(): Promise<boolean>;
  /** Lets pending promise callbacks run without moving time. */
  settle(): Promise<void>;
  /** Number of timers not yet fired. */
  pending(): number;
}

/** Runs queued microtasks and immediates a few rounds, so chains of awaits can finish. */
async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, PendingTimer>();

  const earliest = (): PendingTimer | undefined => {
    let best: PendingTimer | undefined;
    for (const t of timers.values()) {
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  };

  const fire = (t: PendingTimer) => {
    timers.delete(t.id);
    now = Math.max(now, t.due);
    t.fn();
  };

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      // Like a real timer, the callback runs in the async context it was scheduled from.
      fn = AsyncResource.bind(fn);
      timers.set(id, { id, due: now + Math.max(0, ms), ms: Math.max(0, ms), fn });
      return { id, ms, fn } as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      const id = (handle as { id?: number } | undefined)?.id;
      if (id !== undefined) timers.delete(id);
    },
    refresh(handle) {
      const h = handle as { id: number; ms: number; fn: () => void };
      timers.delete(h.id);
      timers.set(h.id, { id: h.id, due: now + h.ms, ms: h.ms, fn: h.fn });
      return handle;
    },
    async advance(ms) {
      const target = now + ms;
      await flush();
      for (;;) {
        const t = earliest();
        if (!t || t.due > target) break;
        fire(t);
        await flush();
      }
      now = target;
      await flush();
    },
    async next() {
      await flush();
      const t = earliest();
      if (!t) return false;
      fire(t);
      await flush();
      return true;
    },
    settle: () => flush(),
    pending: () => timers.size,
  };
}
