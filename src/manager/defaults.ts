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
 * last of a burst when the interval is up (DESIGN.md §6).
 */
export const HEARTBEAT_WRITE_INTERVAL = 5 * SECOND;
