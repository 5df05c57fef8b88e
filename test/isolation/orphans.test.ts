import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alive, waitFor } from "./helpers.js";

const MANAGER = fileURLToPath(new URL("./fixtures/manager.ts", import.meta.url));

/** Pids of the live processes whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppidField = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppidField === ppid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("a process daemon's guest", () => {
  it("does not outlive its manager killed with -9, nor does the spare", async () => {
    const manager = spawn(process.execPath, ["--import", "tsx", MANAGER], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      manager.stdout.on("data", (chunk) => {
        const match = /pid (\d+)/.exec(String(chunk));
        if (match) resolve(Number(match[1]));
      });
      manager.on("exit", (code) => reject(new Error(`manager exited early (${code})`)));
    });
    expect(alive(pid)).toBe(true);
    // The warm spare guest is forked shortly after the first one was taken.
    await waitFor(() => childrenOf(manager.pid!).length >= 2, 5000, "the spare guest");
    const children = childrenOf(manager.pid!);
    expect(children).toContain(pid);
    manager.kill("SIGKILL");
    await waitFor(() => children.every((child) => !alive(child)), 5000, "every guest to be gone");
    expect(children.filter(alive)).toEqual([]);
  });
});
