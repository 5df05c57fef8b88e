import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/internal/clock.js";
import { startProgram } from "../../src/isolation/command.js";
import { groupRunning, pidRunning } from "../../src/isolation/proc-stats.js";
import { createReaper } from "../../src/isolation/reaper.js";
import { fixture, waitUntil } from "./command-helpers.js";

describe.runIf(process.platform === "linux")("the orphan reaper", () => {
  const parents: ChildProcess[] = [];
  afterEach(() => {
    for (const parent of parents.splice(0)) parent.kill("SIGKILL");
  });

  it("kills every program of a manager killed with SIGKILL, SIGTERM-proof ones included", async () => {
    const parent = spawn(process.execPath, ["--import", "tsx", fixture("manager-like.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    parents.push(parent);
    const announced = await new Promise<string>((resolve, reject) => {
      let out = "";
      parent.stdout?.on("data", (chunk) => {
        out += String(chunk);
        if (out.includes("\n")) resolve(out);
      });
      parent.once("exit", (code) => reject(new Error(`manager-like exited early (${code})`)));
    });
    const [, program, , reaper] = announced.trim().split(" ").map(Number);
    expect(await pidRunning(program as number)).toBe(true);
    expect(await pidRunning(reaper as number)).toBe(true);

    parent.kill("SIGKILL");
    // killTimeout is 500 ms in the fixture: SIGTERM is ignored, SIGKILL follows.
    expect(await waitUntil(async () => !(await groupRunning(program as number)), 5000)).toBe(true);
    expect(await pidRunning(program as number)).toBe(false);
    // Its work done, the reaper exits too.
    expect(await waitUntil(async () => !(await pidRunning(reaper as number)), 5000)).toBe(true);
  });

  it("stop() leaves nothing running and ends the reaper; a reaper that died is replaced", async () => {
    const restarts: string[] = [];
    const reaper = createReaper({ onRestart: (reason) => restarts.push(reason) });
    expect(reaper.pid).toBeUndefined(); // no program yet, no reaper process
    const program = startProgram({
      argv: ["sleep", "1000"],
      env: { PATH: process.env.PATH },
      clock: systemClock,
      killTimeout: 200,
      tracker: reaper,
      onLine: () => {},
    });
    expect(reaper.tracked.get(program.pid as number)).toBe(200);
    const first = reaper.pid as number;
    expect(await pidRunning(first)).toBe(true);

    process.kill(first, "SIGKILL");
    expect(await waitUntil(() => reaper.pid !== undefined && reaper.pid !== first, 5000)).toBe(
      true,
    );
    expect(restarts).toEqual(["signal SIGKILL"]);

    // The replacement knows the group: stopping the reaper while the program runs kills it.
    const second = reaper.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await reaper.stop();
    expect(await waitUntil(async () => !(await pidRunning(program.pid as number)), 5000)).toBe(
      true,
    );
    expect(await pidRunning(second)).toBe(false);
    await program.exited;
  });
});
