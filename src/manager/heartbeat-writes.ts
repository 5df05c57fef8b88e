/**
 * Throttled write-through of daemon heartbeats to their records: a beat is written at once when
 * the daemon's last heartbeat write is at least `interval` old, else once when the interval is up
 * (the latest beat by then), so a daemon beating every 10 ms costs one write per interval and the
 * stored heartbeat is never more than about `interval` behind. Only the heartbeat is written
 * (`Store.writes.daemonHeartbeat`), not the record: the records written on state changes are
 * apart, they neither wait for nor delay a heartbeat.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";

type Details = Record<string, unknown> | null;

export interface HeartbeatWrites {
  /** The daemon `name` beat at `at`: written now, or its latest beat when the interval is up. */
  beat(name: string, at: number, details: Details): void;
  /** Cancels the writes waiting for their interval. */
  stop(): void;
}

/** A beat waiting for its daemon's interval to be up: the latest one, and the timer. */
interface Waiting {
  at: number;
  details: Details;
  timer: TimerHandle;
}

export function createHeartbeatWrites(options: {
  clock: Clock;
  interval: number;
  write(name: string, at: number, details: Details): void;
}): HeartbeatWrites {
  const { clock, interval, write } = options;
  const lastWrite = new Map<string, number>();
  const waiting = new Map<string, Waiting>();
  let stopped = false;

  return {
    beat(name, at, details) {
      if (stopped) return;
      const queued = waiting.get(name);
      if (queued) {
        queued.at = at;
        queued.details = details;
        return;
      }
      // Measured between the beats' own times, as the supervisor gates a cycle's beats (every
      // `interval` by its end time): a clock read here, a little later than the beat, would
      // find a gated beat just short of the interval and hold it back on a timer.
      const last = lastWrite.get(name);
      if (last === undefined || at - last >= interval) {
        lastWrite.set(name, at);
        write(name, at, details);
        return;
      }
      const timer = clock.setTimeout(
        () => {
          const beat = waiting.get(name);
          waiting.delete(name);
          if (stopped || !beat) return;
          // Written as of the moment the interval was up, so the next write is an interval on.
          lastWrite.set(name, last + interval);
          write(name, beat.at, beat.details);
        },
        Math.max(0, last + interval - clock.now()),
      );
      waiting.set(name, { at, details, timer });
    },
    stop() {
      stopped = true;
      for (const beat of waiting.values()) clock.clearTimeout(beat.timer);
      waiting.clear();
    },
  };
}
