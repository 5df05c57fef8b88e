/**
 * Throttled write-through of daemon heartbeats to their records: a beat writes the daemon's
 * record at once when the last heartbeat write is at least `interval` old, else once when the
 * interval is up (with whatever the record says then), so a daemon beating every 10 ms costs one
 * write per interval and the stored heartbeat is never more than about `interval` behind. The
 * records written on state changes are apart: they neither wait for nor delay a heartbeat.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";

export interface HeartbeatWrites {
  /** The daemon `name` beat; `write` writes its current record (now or when the interval is up). */
  beat(name: string, write: () => void): void;
  /** Cancels the writes waiting for their interval. */
  stop(): void;
}

export function createHeartbeatWrites(options: {
  clock: Clock;
  interval: number;
}): HeartbeatWrites {
  const { clock, interval } = options;
  const lastWrite = new Map<string, number>();
  const waiting = new Map<string, TimerHandle>();
  let stopped = false;

  const cancel = (name: string) => {
    const timer = waiting.get(name);
    if (timer !== undefined) clock.clearTimeout(timer);
    waiting.delete(name);
  };

  return {
    beat(name, write) {
      if (stopped || waiting.has(name)) return;
      const now = clock.now();
      const last = lastWrite.get(name);
      if (last === undefined || now - last >= interval) {
        lastWrite.set(name, now);
        write();
        return;
      }
      const timer = clock.setTimeout(
        () => {
          waiting.delete(name);
          if (stopped) return;
          lastWrite.set(name, clock.now());
          write();
        },
        last + interval - now,
      );
      waiting.set(name, timer);
    },
    stop() {
      stopped = true;
      for (const name of [...waiting.keys()]) cancel(name);
    },
  };
}
