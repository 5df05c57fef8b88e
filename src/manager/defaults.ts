import { SECOND } from "../registry/duration.js";

/**
 * Every timeout of the manager's parts, in one place (ms). A part that misses its start timeout
 * fails `start()`; one that misses its stop timeout is reported in `ShutdownReport.parts` and the
 * shutdown goes on. A stop also never gets more than what is left of `shutdown({ timeout })`,
 * and never less than `closeGrace`.
 */
export const PART_TIMEOUTS = {
  /** Closing a part after the daemons gets at least this long, even with the budget spent. */
  closeGrace: 2 * SECOND,
  start: {
    programs: 1 * SECOND,
    logFiles: 5 * SECOND,
    store: 60 * SECOND,
    durable: 30 * SECOND,
    jobs: 30 * SECOND,
    sweepers: 1 * SECOND,
    containment: 1 * SECOND,
    cluster: 30 * SECOND,
    http: 30 * SECOND,
  },
  stop: {
    /** The reaper ends after every program; it may still be killing a stuck one (killTimeout). */
    programs: 30 * SECOND,
    /** Ending the log files: their last lines reach the disk. */
    logFiles: 10 * SECOND,
    store: 60 * SECOND,
    durable: 60 * SECOND,
    jobs: 60 * SECOND,
    sweepers: 1 * SECOND,
    containment: 1 * SECOND,
    cluster: 60 * SECOND,
    http: 60 * SECOND,
  },
} as const;

/** A part name with a timeout above: every part the composition root builds has both. */
export type PartName = keyof typeof PART_TIMEOUTS.start;

/**
 * A running daemon's heartbeat (`ctx.heartbeat()`, or a finished cycle) reaches its record in the
 * store at most this often: the first beat at once, later ones at most once per interval, the
 * last of a burst when the interval is up (DESIGN.md §6). A large fleet's interval is longer
 * (see {@link heartbeatWriteInterval}).
 */
export const HEARTBEAT_WRITE_INTERVAL = 5 * SECOND;

/**
 * Daemon heartbeats a node writes to the store a second, at most: beyond
 * `HEARTBEAT_WRITES_PER_SECOND × 5 s` daemons (2,500), each daemon's write interval grows with
 * the fleet instead of the writes. 10,000 daemons every 5 s were 2,000 row updates a second, a
 * quarter of the manager's CPU with the store in memory (bench/README.md, supervision), and the
 * same load on a database, for records no one reads more often than every few seconds.
 */
export const HEARTBEAT_WRITES_PER_SECOND = 500;

/**
 * The heartbeat write interval of a node that runs `daemons` daemons: {@link
 * HEARTBEAT_WRITE_INTERVAL}, or `daemons / HEARTBEAT_WRITES_PER_SECOND` seconds (whole seconds,
 * rounded up) for a fleet larger than 2,500: 20 s for 10,000.
 */
export function heartbeatWriteInterval(daemons: number): number {
  const spread = Math.ceil(daemons / HEARTBEAT_WRITES_PER_SECOND) * SECOND;
  return Math.max(HEARTBEAT_WRITE_INTERVAL, spread);
}
