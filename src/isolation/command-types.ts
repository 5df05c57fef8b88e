/**
 * The vocabulary of command daemons and command jobs (DESIGN.md §11 "Command daemons"): programs
 * supervised as process groups. Shared by the program runner, readiness, the daemon strategy, the
 * job runner and the reaper.
 */

export type { CommandHealthCheck, CommandReadiness } from "../registry/command-options.js";

/** How a program ended. */
export interface ProgramExit {
  /** Its exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why ringmaster stopped it (`"stop"`, `"memory limit"`, …), or null when it ended by itself. */
  stoppedFor: string | null;
  /** It could not be started at all (e.g. `spawn python3 ENOENT`). */
  spawnError: string | null;
}

/** What a running program uses, summed over its process group; sampled every second. */
export interface ProgramStats {
  kind: "command";
  /** The program's pid, which is also its process group id. */
  pid: number;
  /** Live processes in its group at the last sample. */
  processes: number;
  /** bytes, or null before the first sample (or where `/proc` does not exist). */
  rssBytes: number | null;
  /** CPU use between the last two samples, percent of one core (may exceed 100). */
  cpuPercent: number | null;
  /** CPU time of the group's live processes, ms. */
  cpuMs: number | null;
  /** ms since the epoch of the last sample, or null. */
  sampledAt: number | null;
}

/**
 * Told about every process group a manager starts and ends, so that none outlives the manager
 * (see `reaper.ts`). `track` right after the spawn, `untrack` once the whole group is gone.
 */
export interface GroupTracker {
  track(pgid: number, killTimeout: number): void;
  untrack(pgid: number): void;
}

/** The failure a program's end means, or null for a normal end (exit code 0, or stopped on request). */
export function exitFailure(exit: ProgramExit): string | null {
  if (exit.spawnError !== null) return exit.spawnError;
  if (exit.stoppedFor !== null) return exit.stoppedFor === "stop" ? null : exit.stoppedFor;
  if (exit.signal !== null) return `signal ${exit.signal}`;
  if (exit.code !== null && exit.code !== 0) return `exit code ${exit.code}`;
  return null;
}
