import type { Clock, TimerHandle } from "../internal/clock.js";
import {
  batchOwnerSlot,
  currentOwner,
  type Owner,
  runUnowned,
  switchOwnerIn,
} from "./async-context.js";

// Coalesced timers for periodic work (issue 17): the timers of a wheel that fall due at the same
// time share one bucket and one timer of the clock, which fires them as a batch, in the order
// they were scheduled, each as its own owner, with the clock read once for the batch (each timer
// gets the latest reading). A fleet of 10,000 daemons at 100 ms whose cycles end within the same
// millisecond costs one Node timer for all of them instead of one each. Due times are exact (a
// bucket per due time, no rounding), so under a manual clock a timer fires exactly when it would
// have on its own.

/** A timer of a {@link TimerWheel}: linked into the bucket of its due time while scheduled. */
export class WheelTimer {
  /** Whose code it fires as (async-context.ts); no one's if undefined. */
  owner: Owner | undefined = undefined;
  /** @internal The bucket it waits in, undefined when not scheduled. */
  bucket: Bucket | undefined = undefined;
  /** @internal Neighbours in its bucket (scheduling order). */
  prev: WheelTimer | undefined = undefined;
  next: WheelTimer | undefined = undefined;

  get scheduled(): boolean {
    return this.bucket !== undefined;
  }

  /** When it falls due (clock ms) while scheduled, else NaN (kept by its bucket: a cycle writes no time here). */
  get due(): number {
    return this.bucket !== undefined ? this.bucket.due : Number.NaN;
  }
}

/** The timers due at one time, and the clock's timer that fires them. */
interface Bucket {
  due: number;
  head: WheelTimer | undefined;
  tail: WheelTimer | undefined;
  handle: TimerHandle | undefined;
  /** Fires this bucket (made once: a bucket is used again, see `TimerWheel.spare`). */
  fire: () => void;
}

/** Empty buckets kept for reuse, at most. */
const SPARE_BUCKETS = 256;

export interface TimerWheelHooks<T extends WheelTimer> {
  /**
   * Fires `timer`. `now` is the latest reading of the clock in its batch (read once when the
   * batch began); a `fire` that reads the clock again returns its reading, which the next timer
   * of the batch gets as its `now`.
   */
  fire(timer: T, now: number): number | undefined;
  /**
   * `fire` threw for `timer`: the error is this timer's alone, the rest of the batch still fires.
   * Must not throw.
   */
  failed(timer: T, error: unknown): void;
  /**
   * Optional: reads what the next timer of the batch will need, before the one due now fires, so
   * the memory it needs is on its way while the current one runs (a fleet's timers are rarely in
   * the CPU's cache when they fire). Returns whether it read anything (counted: what a
   * prefetch reads must not be optimized away). Must not throw.
   */
  prefetch?(timer: T): boolean;
}

export class TimerWheel<T extends WheelTimer> {
  private readonly buckets = new Map<number, Bucket>();
  /** The bucket the last timer went to (armed while its `handle` is set). */
  private lastBucket: Bucket | undefined = undefined;
  private count = 0;
  /** Timers whose memory `hooks.prefetch` read ahead of their turn. */
  readAhead = 0;
  /**
   * Empty buckets, used again: a bucket lives ~one interval, and a new one, young in the heap,
   * stored into each of its (old) timers cost a write barrier per timer scheduled.
   */
  private readonly spare: Bucket[] = [];

  constructor(
    readonly clock: Clock,
    private readonly hooks: TimerWheelHooks<T>,
  ) {}

  /** Timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.count;
  }

  /** Clock timers armed (one per due time with timers waiting). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /**
   * Schedules `timer` to fire at `due` (clock ms; a time already past fires on the clock's next
   * turn), moving it if it was scheduled. `now` is the caller's reading of the clock, if it has one.
   */
  schedule(timer: T, due: number, now: number = this.clock.now()): void {
    if (timer.bucket) this.cancel(timer);
    // The timers of a batch mostly go to the same next bucket: the last one used, if still armed.
    const last = this.lastBucket;
    let bucket =
      last !== undefined && last.due === due && last.handle ? last : this.buckets.get(due);
    if (!bucket) bucket = this.arm(due, now);
    this.lastBucket = bucket;
    timer.bucket = bucket;
    timer.prev = bucket.tail;
    timer.next = undefined;
    if (bucket.tail) bucket.tail.next = timer;
    else bucket.head = timer;
    bucket.tail = timer;
    this.count++;
  }

  /** A bucket for `due` (a spare one if there is one), in the map, its clock timer set. */
  private arm(due: number, now: number): Bucket {
    let bucket = this.spare.pop();
    if (bucket) bucket.due = due;
    else {
      const b: Bucket = {
        due,
        head: undefined,
        tail: undefined,
        handle: undefined,
        fire: () => this.fireBucket(b),
      };
      bucket = b;
    }
    this.buckets.set(due, bucket);
    const { fire } = bucket;
    // The wheel's own timer belongs to no one: each timer fires as its own `owner` (fireBucket).
    bucket.handle = runUnowned(() => this.clock.setTimeout(fire, Math.max(0, due - now)));
    return bucket;
  }

  /** An empty bucket out of the map and without a timer, kept for reuse. */
  private retire(bucket: Bucket): void {
    if (this.spare.length < SPARE_BUCKETS) this.spare.push(bucket);
  }

  /** Unschedules `timer` (nothing if it is not scheduled); the last one out clears the bucket's timer. */
  cancel(timer: T): void {
    const bucket = timer.bucket;
    if (!bucket) return;
    this.unlink(bucket, timer);
    if (!bucket.head && this.buckets.get(bucket.due) === bucket) {
      this.buckets.delete(bucket.due);
      if (bucket.handle) this.clock.clearTimeout(bucket.handle);
      bucket.handle = undefined;
      this.retire(bucket);
    }
  }

  private unlink(bucket: Bucket, timer: WheelTimer): void {
    if (timer.prev) timer.prev.next = timer.next;
    else bucket.head = timer.next;
    if (timer.next) timer.next.prev = timer.prev;
    else bucket.tail = timer.prev;
    timer.bucket = undefined;
    timer.prev = undefined;
    timer.next = undefined;
    this.count--;
  }

  /**
   * Fires the bucket's timers in scheduling order. Timers scheduled meanwhile go to buckets of
   * their own (the bucket has left the map), timers cancelled meanwhile are skipped.
   */
  private fireBucket(bucket: Bucket): void {
    if (this.buckets.get(bucket.due) === bucket) this.buckets.delete(bucket.due);
    bucket.handle = undefined;
    let now = this.clock.now();
    const previous = currentOwner();
    const slot = batchOwnerSlot();
    try {
      for (let timer = bucket.head; timer; timer = bucket.head) {
        this.unlink(bucket, timer);
        const next = bucket.head;
        if (next !== undefined && this.hooks.prefetch?.(next as T)) this.readAhead++;
        switchOwnerIn(slot, timer.owner);
        try {
          now = this.hooks.fire(timer as T, now) ?? now;
        } catch (error) {
          this.hooks.failed(timer as T, error);
        }
      }
    } finally {
      switchOwnerIn(slot, previous);
    }
    this.retire(bucket);
  }
}
