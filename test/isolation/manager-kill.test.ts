import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture, waitUntil } from "./command-helpers.js";
import { alive } from "./helpers.js";

/** Every live process below `root`, from the parent links in /proc. */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents)
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
  };
  walk(root);
  return found;
}

interface Announced {
  manager: number;
  process: number;
  processChild: number;
  worker: number;
  command: number;
  spares: number[];
}

// The manager runs under a subreaper standing in for init, so what dies is reaped and its pid
// is free (where PID 1 does not reap, a dead orphan would linger as a zombie).
describe.runIf(process.platform === "linux")("a whole manager killed with kill -9", () => {
  it("leaves none of its worker, process and command daemons' processes, spares or reaper", async () => {
    const init = spawn(
      "python3",
      [fixture("subreaper.py"), process.execPath, "--import", "tsx", fixture("full-manager.ts")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const initExited = new Promise<number | null>((resolve) => init.once("exit", resolve));
    try {
      const announced = await new Promise<Announced>((resolve, reject) => {
        let text = "";
        init.stdout.on("data", (chunk) => {
          text += chunk;
          if (text.includes("\n")) resolve(JSON.parse(text) as Announced);
        });
        init.once("exit", (code) => reject(new Error(`the manager exited early (${code})`)));
      });
      expect(announced.worker).toBeGreaterThan(0);
      expect(announced.spares.length).toBeGreaterThan(0);
      const below = descendantsOf(announced.manager);
      // The process guest, its child and its spare, the command program and its child, the reaper.
      expect(below).toEqual(
        expect.arrayContaining([
          announced.process,
          announced.processChild,
          announced.command,
          ...announced.spares,
        ]),
      );
      expect(below.length).toBeGreaterThanOrEqual(6);
      const pids = [announced.manager, ...below];
      expect(pids.every(alive)).toBe(true);

      process.kill(announced.manager, "SIGKILL");
      const gone = await waitUntil(() => !pids.some(alive), 5_000);
      expect(pids.filter(alive)).toEqual([]);
      expect(gone).toBe(true);
      // Nothing is left below the stand-in init, which ends once it has reaped the last one.
      expect(await initExited).toBe(0);
    } finally {
      init.kill("SIGKILL");
    }
  }, 30_000);
});
