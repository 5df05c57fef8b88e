/**
 * Throttled write-through of daemon heartbeats to their records: a beat is written at once when
 * the daemon's last heartbeat write is at least `interval` old, else once when the interval is up
 * (the latest beat by then), so a daemon beating every 10 ms costs one write per interval and the
 * stored heartbeat is never more than about `interval` behind. Only the heartbeat is written
 * (`Store.writes.daemonHeartbeat`), not the record: the records written on state changes are
 * apart, they neither wait for nor delay a heartbeat.
 *
 * Each daemon's throttle is an object of its own ({@link HeartbeatWrites.of}), kept by the caller
 * beside the daemon: a fleet of 10,000 daemons hands on 2,000 beats a second, and a lookup by name
 * in maps of 10,000 entries (twice per beat) cost more than the write itself.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";

type Details = Record<string, unknown> | null;

/** One daemon's beats, written through at most every interval. */
export interface DaemonBeats {
  /** The daemon beat at `at`: written now, or its latest beat when the interval is up. */
  beat(at: number, details: Details): void;
  /** Its write-through was stopped (its store closed): later beats write nothing. */
  readonly stopped: boolean;
}

export interface HeartbeatWrites {
  /** The write-through of daemon `name`'s beats; one per daemon, kept by the caller. */
  of(name: string): DaemonBeats;
  /** Cancels the writes waiting for their interval; later beats write nothing. */
  stop(): void;
}

interface Shared {
  clock: Clock;
  interval: number;
  write(name: string, at: number, details: Details): void;
  /** The daemons with a beat waiting for their interval (their timers, for stop()). */
  waiting: Set<Beats>;
  stopped: boolean;
}

class Beats implements DaemonBeats {
  /** The beat time of the last write (beats are measured by their own times). */
  private lastWrite: number | undefined = undefined;
  /** The latest beat held back until the interval is up, and its timer. */
  private heldAt = 0;
  private heldDetails: Details = null;
  private timer: TimerHandle | undefined = undefined;

  constructor(
    private readonly shared: Shared,
    readonly name: string,
  ) {}

  get stopped(): boolean {
    return this.shared.stopped;
  }

  beat(at: number, details: Details): void {
    const { shared } = this;
    if (shared.stopped) return;
    if (this.timer !== undefined) {
      this.heldAt = at;
      this.heldDetails = details;
      return;
    }
    // Measured between the beats' own times, as the supervisor gates a cycle's beats (every
    // `interval` by its end time): a clock read here, a little later than the beat, would find
    // a gated beat just short of the interval and hold it back on a timer.
    const last = this.lastWrite;
    if (last === undefined || at - last >= shared.interval) {
      this.lastWrite = at;
      shared.write(this.name, at, details);
      return;
    }
    this.heldAt = at;
    this.heldDetails = details;
    shared.waiting.add(this);
    this.timer = shared.clock.setTimeout(
      () => this.writeHeld(last + shared.interval),
      Math.max(0, last + shared.interval - shared.clock.now()),
    );
  }

  /** The interval is up (at `due`): the latest held beat is written, as of `due`. */
  private writeHeld(due: number): void {
    const { shared } = this;
    this.timer = undefined;
    shared.waiting.delete(this);
    if (shared.stopped) return;
    // Written as of the moment the interval was up, so the next write is an interval on.
    this.lastWrite = due;
    const details = this.heldDetails;
    this.heldDetails = null;
    shared.write(this.name, this.heldAt, details);
  }

  cancel(): void {
    if (this.timer !== undefined) this.shared.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.heldDetails = null;
  }
}

export function createHeartbeatWrites(options: {
  clock: Clock;
  interval: number;
  write(name: string, at: number, details: Details): void;
}): HeartbeatWrites {
  const shared: Shared = { ...options, waiting: new Set(), stopped: false };
  return {
    of: (name) => new Beats(shared, name),
    stop() {
      shared.stopped = true;
      for (const beats of shared.waiting) beats.cancel();
      shared.waiting.clear();
    },
  };
}
