/**
 * CPU time of the PostgreSQL backends this process talks to (a local server only): every pg
 * client's backend pid is noted at its queries, and its utime + stime read from /proc. A probe's
 * database cost that the load of other processes on the machine does not inflate (wall time does).
 */
import { readFileSync } from "node:fs";
import pg from "pg";

const pids = new Set<number>();
const original = pg.Client.prototype.query;
let queries = 0;
pg.Client.prototype.query = function (
  this: pg.Client & { processID?: number },
  ...args: unknown[]
) {
  queries++;
  if (this.processID) pids.add(this.processID);
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** ms of CPU per backend pid seen so far (0 for those gone). */
export function backendCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      out.set(pid, 0);
    }
  }
  return out;
}

/** ms of backend CPU between two readings. */
export const cpuBetween = (a: Map<number, number>, b: Map<number, number>) => {
  let ms = 0;
  for (const [pid, v] of b) ms += v - (a.get(pid) ?? 0);
  return ms;
};

export const queriesSent = () => queries;
