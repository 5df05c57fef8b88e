import { ISOLATION_DEFAULTS } from "../registry/defaults.js";
import { SECOND } from "../registry/duration.js";

/** Every default and period of command daemons and command jobs, in one place. Durations in ms. */
export const COMMAND_DEFAULTS = {
  /** A program still alive this long after SIGTERM gets SIGKILL (its whole process group). */
  killTimeout: ISOLATION_DEFAULTS.killTimeout,
  /** RSS and CPU of each program's process group are sampled this often. */
  sampleInterval: 1 * SECOND,
  /** A longer stdout/stderr line is logged in pieces of this many characters. */
  maxLineLength: 16 * 1024,
  /** `ready: { http }`: how often the URL is tried. */
  readyPollInterval: 200,
  /** `ready: { http }`: how long one try may take. */
  readyProbeTimeout: 1 * SECOND,
  /** How often a stopping program's group is looked at to see whether it is gone. */
  exitPollInterval: 50,
  /** After the group is gone, how long its stdout/stderr may still take to close. */
  streamDrainTimeout: 1 * SECOND,
} as const;
