import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

/**
 * Resource use of process groups, read from Linux's `/proc`.
 *
 * A program and everything it starts share its process group (ringmaster spawns each program as
 * a group leader), so "what the program uses" is the sum over the group: RSS from
 * `/proc/<pid>/status` (`VmRSS`), CPU time from `/proc/<pid>/stat` (utime + stime, in clock ticks
 * of 1/100 s — USER_HZ is 100 on every Linux architecture Node runs on).
 *
 * Where `/proc` does not exist (macOS, Windows) every sample is `undefined`: figures are not shown
 * and `maxMemory` is not enforced there.
 */
export interface GroupSample {
  /** Live processes in the group. */
  pids: number[];
  /** Resident memory of all of them, bytes. */
  rssBytes: number;
  /** CPU time used by the live ones so far (user + system), ms. */
  cpuMs: number;
}

const TICK_MS = 10;
const HAS_PROC = existsSync("/proc/self/stat");
/** Samples taken within this many ms of each other share one scan of `/proc`. */
const SCAN_REUSE_MS = 250;

interface ProcEntry {
  pid: number;
  pgrp: number;
  cpuMs: number;
  zombie: boolean;
}

let lastScan: { at: number; entries: Promise<ProcEntry[] | undefined> } | undefined;

/** Parses `/proc/<pid>/stat`; the command name may hold spaces and parentheses. */
export function parseStat(
  text: string,
): { pgrp: number; cpuMs: number; zombie: boolean } | undefined {
  const close = text.lastIndexOf(")");
  if (close === -1) return undefined;
  // Fields after the name, from field 3 (state): pgrp is field 5, utime 14, stime 15.
  const fields = text.slice(close + 2).split(" ");
  const zombie = fields[0] === "Z" || fields[0] === "X";
  const pgrp = Number(fields[2]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(pgrp) || !Number.isFinite(utime) || !Number.isFinite(stime))
    return undefined;
  return { pgrp, cpuMs: (utime + stime) * TICK_MS, zombie };
}

async function scan(): Promise<ProcEntry[] | undefined> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return undefined;
  }
  const entries = await Promise.all(
    names
      .filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57)
      .map(async (name): Promise<ProcEntry | undefined> => {
        try {
          const stat = parseStat(await readFile(`/proc/${name}/stat`, "utf8"));
          return stat && { pid: Number(name), ...stat };
        } catch {
          return undefined; // it exited between readdir and now
        }
      }),
  );
  return entries.filter((entry): entry is ProcEntry => entry !== undefined);
}

async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0; // zombies and kernel threads have none
  } catch {
    return 0;
  }
}

/**
 * Samples process group `pgid`: its live processes, their summed RSS and CPU time. `undefined`
 * when `/proc` is not available. Concurrent samples of different groups share one scan.
 */
export async function sampleGroup(pgid: number): Promise<GroupSample | undefined> {
  const now = Date.now(); // real time: the cache is about how fresh /proc is
  if (!lastScan || now - lastScan.at > SCAN_REUSE_MS || now < lastScan.at) {
    lastScan = { at: now, entries: scan() };
  }
  const entries = await lastScan.entries;
  if (!entries) return undefined;
  const members = entries.filter((entry) => entry.pgrp === pgid && !entry.zombie);
  const rss = await Promise.all(members.map((entry) => rssOf(entry.pid)));
  return {
    pids: members.map((entry) => entry.pid),
    rssBytes: rss.reduce((sum, bytes) => sum + bytes, 0),
    cpuMs: members.reduce((sum, entry) => sum + entry.cpuMs, 0),
  };
}

/**
 * Whether any process of group `pgid` still runs. A zombie does not count: it runs nothing and
 * holds no memory, and where PID 1 does not reap orphans (some containers) it never goes away.
 * Without `/proc`, a signal-0 probe of the group answers (zombies included).
 */
export async function groupRunning(pgid: number): Promise<boolean> {
  if (!signalProbe(-pgid)) return false;
  const entries = await scan();
  if (!entries) return true;
  return entries.some((entry) => entry.pgrp === pgid && !entry.zombie);
}

/** Whether process `pid` still runs (a zombie does not, see {@link groupRunning}). */
export async function pidRunning(pid: number): Promise<boolean> {
  if (!signalProbe(pid)) return false;
  if (!HAS_PROC) return true;
  try {
    const stat = parseStat(await readFile(`/proc/${pid}/stat`, "utf8"));
    return stat ? !stat.zombie : true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** Signal 0: whether `target` (a pid, or −pgid) exists; EPERM means it does. */
function signalProbe(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
