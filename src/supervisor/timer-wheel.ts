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

/** A timer of a {@link TimerWheel}: in the list of its due time's bucket while scheduled. */
export class WheelTimer {
  /** Whose code it fires as (async-context.ts); no one's if undefined. */
  owner: Owner | undefined = undefined;
  /** @internal The bucket it waits in, undefined when not scheduled. */
  bucket: Bucket | undefined = undefined;
  /** @internal Where it is in its bucket's list. */
  index = 0;

  get scheduled(): boolean {
    return this.bucket !== undefined;
  }

  /** When it falls due (clock ms) while scheduled, else NaN (kept by its bucket: a cycle writes no time here). */
  get due(): number {
    return this.bucket !== undefined ? this.bucket.due : Number.NaN;
  }
}

/**
 * The timers due at one time, and the clock's timer that fires them. The timers are an array in
 * scheduling order, not a linked list: a batch reads ahead of the timer firing by index, several
 * timers at once (see `fireBucket`), where a list would reach each only through the one before.
 */
interface Bucket {
  due: number;
  /** Its timers in scheduling order, `size` of them; a cancelled one leaves a hole. */
  timers: Array<WheelTimer | undefined>;
  size: number;
  /** Timers in `timers` not cancelled nor fired. */
  live: number;
  handle: TimerHandle | undefined;
  /** Fires this bucket (made once: a bucket is used again, see `TimerWheel.spare`). */
  fire: () => void;
}

/** How many timers a batch reads ahead at a time, this many timers before their turn. */
const READ_AHEAD = 8;

/** A spare bucket's list longer than this is dropped rather than kept. */
const SPARE_LIST_MAX = 4096;

/** Empty buckets kept for reuse, at most. */
const SPARE_BUCKETS = 256;

export interface TimerWheelHooks<T extends WheelTimer> {
  /**
   * Fires `timer`. `now` is the latest reading of the clock in its batch (read once when the
   * batch began); a `fire` that reads the clock again returns its reading, which the next timer
   * of the batch gets as its `now`, and NaN otherwise (a number either way: a reading that
   * could be undefined was boxed into a heap number for every timer fired).
   */
  fire(timer: T, now: number): number;
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
  schedule(timer: T, due: number, now?: number): void {
    if (timer.bucket !== undefined) this.cancel(timer);
    // The timers of a batch mostly go to the same next bucket: the last one used, if still armed.
    const last = this.lastBucket;
    const bucket =
      last !== undefined && last.due === due && last.handle !== undefined
        ? last
        : this.bucketAt(due, now);
    timer.bucket = bucket;
    const index = bucket.size++;
    timer.index = index;
    if (index < bucket.timers.length) bucket.timers[index] = timer;
    else bucket.timers.push(timer);
    bucket.live++;
    this.count++;
  }

  /** The bucket of `due`, armed if it is new; the next timer scheduled looks at it first. */
  private bucketAt(due: number, now: number | undefined): Bucket {
    const bucket = this.buckets.get(due) ?? this.arm(due, now ?? this.clock.now());
    this.lastBucket = bucket;
    return bucket;
  }

  /** A bucket for `due` (a spare one if there is one), in the map, its clock timer set. */
  private arm(due: number, now: number): Bucket {
    let bucket = this.spare.pop();
    if (bucket) bucket.due = due;
    else {
      const b: Bucket = {
        due,
        timers: [],
        size: 0,
        live: 0,
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
    bucket.size = 0;
    if (bucket.timers.length > SPARE_LIST_MAX) bucket.timers = [];
    if (this.spare.length < SPARE_BUCKETS) this.spare.push(bucket);
  }

  /** Unschedules `timer` (nothing if it is not scheduled); the last one out clears the bucket's timer. */
  cancel(timer: T): void {
    const bucket = timer.bucket;
    if (!bucket) return;
    this.unlink(bucket, timer);
    if (bucket.live === 0 && this.buckets.get(bucket.due) === bucket) {
      this.buckets.delete(bucket.due);
      if (bucket.handle) this.clock.clearTimeout(bucket.handle);
      bucket.handle = undefined;
      this.retire(bucket);
    }
  }

  private unlink(bucket: Bucket, timer: WheelTimer): void {
    bucket.timers[timer.index] = undefined;
    bucket.live--;
    timer.bucket = undefined;
    this.count--;
  }

  /**
   * Fires the bucket's timers in scheduling order. Timers scheduled meanwhile go to buckets of
   * their own (the bucket has left the map), timers cancelled meanwhile are skipped.
   *
   * Ahead of the timers it fires, it reads what they will need (`hooks.prefetch`) `READ_AHEAD`
   * timers at a time: a fleet's timers are cold in the CPU's caches when they fire, and the
   * reads of several timers at once wait for memory together, where one timer's at a time
   * waited in turn (two misses in a row each: the timer, then what it points to).
   */
  private fireBucket(bucket: Bucket): void {
    if (this.buckets.get(bucket.due) === bucket) this.buckets.delete(bucket.due);
    bucket.handle = undefined;
    let now = this.clock.now();
    const previous = currentOwner();
    const slot = batchOwnerSlot();
    const { timers, size } = bucket;
    const { prefetch } = this.hooks;
    let readTo = 0;
    try {
      for (let i = 0; i < size; i++) {
        if (prefetch !== undefined && i + READ_AHEAD >= readTo && readTo < size) {
          readTo = this.readAheadOf(timers, readTo, Math.min(size, i + 2 * READ_AHEAD));
        }
        const timer = timers[i];
        if (timer === undefined) continue;
        this.unlink(bucket, timer);
        switchOwnerIn(slot, timer.owner);
        try {
          const read = this.hooks.fire(timer as T, now);
          if (!Number.isNaN(read)) now = read;
        } catch (error) {
          this.hooks.failed(timer as T, error);
        }
      }
    } finally {
      switchOwnerIn(slot, previous);
    }
    this.retire(bucket);
  }

  /** Reads ahead what timers `from` to `to` (excluded) of a batch will need; returns `to`. */
  private readAheadOf(timers: Array<WheelTimer | undefined>, from: number, to: number): number {
    const prefetch = this.hooks.prefetch as (timer: T) => boolean;
    let read = 0;
    for (let j = from; j < to; j++) {
      const timer = timers[j];
      if (timer !== undefined && prefetch(timer as T)) read++;
    }
    this.readAhead += read;
    return to;
  }
}
