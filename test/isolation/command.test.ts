import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Program } from "../../src/isolation/command.js";
import { exitFailure } from "../../src/isolation/command-types.js";
import { groupRunning, pidRunning } from "../../src/isolation/proc-stats.js";
import { fixture, run, waitUntil } from "./command-helpers.js";

const MB = 1024 * 1024;

describe("startProgram", () => {
  const programs: Program[] = [];
  const start = (...args: Parameters<typeof run>) => {
    const started = run(...args);
    programs.push(started.program);
    return started;
  };
  afterEach(async () => {
    await Promise.all(programs.splice(0).map((program) => program.stop()));
  });

  it("delivers stdout and stderr lines in order per stream, and a normal end for exit code 0", async () => {
    const { program, lines } = start([
      "sh",
      "-c",
      "printf 'one\\r\\ntw'; sleep 0.05; printf 'o\\n'; echo oops >&2; printf 'last'",
    ]);
    const exit = await program.exited;
    expect(exit).toEqual({ code: 0, signal: null, stoppedFor: null, spawnError: null });
    expect(exitFailure(exit)).toBeNull();
    expect(lines.filter((l) => l.stream === "stdout").map((l) => l.line)).toEqual([
      "one",
      "two",
      "last",
    ]);
    expect(lines.filter((l) => l.stream === "stderr").map((l) => l.line)).toEqual(["oops"]);
  });

  it("reports another exit code and a signal as failures", async () => {
    expect(exitFailure(await start(["sh", "-c", "exit 3"]).program.exited)).toBe("exit code 3");
    expect(exitFailure(await start(["sh", "-c", "kill -KILL $$"]).program.exited)).toBe(
      "signal SIGKILL",
    );
  });

  it("reports a program that cannot be started", async () => {
    const { program } = start(["/no/such/program"]);
    expect(program.pid).toBeUndefined();
    expect(exitFailure(await program.exited)).toMatch(/ENOENT/);
  });

  it("passes cwd, env and stdin", async () => {
    const { program, lines } = start(["sh", "-c", 'pwd; echo "$GREETING"; cat'], {
      cwd: "/tmp",
      env: { PATH: process.env.PATH, GREETING: "hello" },
      stdin: '{"a":1}\n',
    });
    await program.exited;
    expect(lines.map((l) => l.line)).toEqual(["/tmp", "hello", '{"a":1}']);
  });

  it("stops a program that ignores SIGTERM with SIGKILL of its whole group after killTimeout", async () => {
    const { program, lines } = start(
      ["sh", "-c", "trap '' TERM; sleep 1000 & echo started; while :; do sleep 1; done"],
      { killTimeout: 300 },
    );
    expect(await waitUntil(() => lines.length > 0, 5000)).toBe(true);
    const pid = program.pid as number;
    const asked = Date.now();
    const exit = await program.stop();
    const took = Date.now() - asked;
    expect(exit.stoppedFor).toBe("stop");
    expect(exit.signal).toBe("SIGKILL");
    expect(exitFailure(exit)).toBeNull(); // stopped on request: a normal end
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
    expect(await pidRunning(pid)).toBe(false);
    expect(await groupRunning(pid)).toBe(false);
  });

  it("a program that handles SIGTERM ends at once, before killTimeout", async () => {
    const { program, lines } = start([
      "sh",
      "-c",
      "trap 'exit 0' TERM; sleep 1000 & echo up; wait",
    ]);
    expect(await waitUntil(() => lines.length > 0, 5000)).toBe(true);
    const asked = Date.now();
    const exit = await program.stop();
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(exit.code).toBe(0);
  });

  it("ends what the program left behind in its group when it exits by itself", async () => {
    const { program, lines } = start(
      ["sh", "-c", "(trap '' TERM; exec sleep 1000) & echo $!; exit 2"],
      { killTimeout: 200 },
    );
    const exit = await program.exited;
    expect(exitFailure(exit)).toBe("exit code 2");
    const straggler = Number(lines[0]?.line);
    expect(straggler).toBeGreaterThan(0);
    expect(await pidRunning(straggler)).toBe(false);
  });

  it.runIf(process.platform === "linux")(
    "samples RSS and CPU of the group and stops it above maxMemory with reason memory limit",
    async () => {
      const { program } = start(["python3", fixture("leak.py")], {
        maxMemory: 150 * MB,
        sampleInterval: 100,
        killTimeout: 500,
      });
      const exit = await program.exited;
      expect(exitFailure(exit)).toBe("memory limit");
      const stats = program.stats();
      expect(stats?.kind).toBe("command");
      expect(stats?.pid).toBe(program.pid);
      expect(stats?.rssBytes).toBeGreaterThan(150 * MB);
      expect(stats?.cpuPercent).not.toBeNull();
    },
  );

  it("tells its tracker the group when it starts and once it is gone", async () => {
    const events: string[] = [];
    const tracker = {
      track: (pgid: number, killTimeout: number) => events.push(`track ${pgid} ${killTimeout}`),
      untrack: (pgid: number) => events.push(`untrack ${pgid}`),
    };
    const { program } = start(["sh", "-c", "exit 0"], { tracker, killTimeout: 1234 });
    await program.exited;
    expect(events).toEqual([`track ${program.pid} 1234`, `untrack ${program.pid}`]);
  });

  it("keeps output flowing for lines written right before the exit", async () => {
    const path = `/tmp/ringmaster-lines-${process.pid}.txt`;
    writeFileSync(path, Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n"));
    const { program, lines } = start(["cat", path]);
    await program.exited;
    expect(lines).toHaveLength(2000);
    expect(lines.at(-1)?.line).toBe("line 1999");
  });
});
