import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/internal/clock.js";
import { runCommandJob } from "../../src/isolation/command-job.js";
import { pidRunning } from "../../src/isolation/proc-stats.js";
import type { JobContext } from "../../src/registry/types.js";
import { fixture, waitUntil } from "./command-helpers.js";

/** A job context that records what the program reported. */
function jobContext() {
  const abort = new AbortController();
  const progress: Array<[number, string | undefined]> = [];
  const logs: Array<[string, string]> = [];
  const log = (level: string) => (message: string) => logs.push([level, message]);
  const ctx: JobContext = {
    id: "job-1",
    attempt: 1,
    signal: abort.signal,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    progress: (percent, message) => progress.push([percent, message]),
  };
  return { ctx, abort, progress, logs };
}

const options = (ctx: JobContext, payload: unknown, argv = ["python3", fixture("job.py")]) => ({
  argv,
  payload,
  ctx,
  clock: systemClock,
  inheritedEnv: { PATH: process.env.PATH },
  killTimeout: 300,
});

describe("runCommandJob", () => {
  let pending: Promise<unknown>[] = [];
  afterEach(async () => {
    await Promise.allSettled(pending);
    pending = [];
  });

  it("hands the payload on stdin, turns ::progress lines into progress and others into its log", async () => {
    const { ctx, progress, logs } = jobContext();
    const result = await runCommandJob(options(ctx, { name: "scene-7", steps: 4 }));
    expect(result).toEqual({ exitCode: 0 });
    expect(progress).toEqual([
      [25, "step 1"],
      [50, "step 2"],
      [75, "step 3"],
      [100, "step 4"],
    ]);
    expect(logs).toEqual([
      ["info", "working on scene-7"],
      ["warn", "a warning"],
    ]);
  });

  it("fails the attempt with the program's exit code", async () => {
    const { ctx } = jobContext();
    await expect(runCommandJob(options(ctx, { steps: 1, exitCode: 5 }))).rejects.toThrow(
      "exit code 5",
    );
  });

  it("on cancel kills the program's group and settles only once no process of it is left", async () => {
    const { ctx, abort, logs } = jobContext();
    const argv = [
      "sh",
      "-c",
      "trap '' TERM; sleep 1000 & echo $!; echo $$; while :; do sleep 1; done",
    ];
    const job = runCommandJob(options(ctx, {}, argv));
    pending.push(job.catch(() => {}));
    expect(await waitUntil(() => logs.length === 2, 5000)).toBe(true);
    const pids = logs.map(([, line]) => Number(line));
    abort.abort(new Error("cancelled: scene deleted"));
    await expect(job).rejects.toThrow("cancelled: scene deleted");
    for (const pid of pids) expect(await pidRunning(pid)).toBe(false);
  });

  it("clamps progress to 0..100", async () => {
    const { ctx, progress } = jobContext();
    const argv = [
      "sh",
      "-c",
      "echo '::progress 150'; echo '::progress -3'; echo '::progress 12.5 a b'",
    ];
    await runCommandJob(options(ctx, {}, argv));
    expect(progress).toEqual([
      [100, undefined],
      [0, undefined],
      [12.5, "a b"],
    ]);
  });
});
