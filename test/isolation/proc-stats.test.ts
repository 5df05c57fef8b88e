import { afterEach, describe, expect, it } from "vitest";
import type { Program } from "../../src/isolation/command.js";
import {
  groupRunning,
  parseStat,
  pidRunning,
  sampleGroup,
} from "../../src/isolation/proc-stats.js";
import { run, waitUntil } from "./command-helpers.js";

describe("parseStat", () => {
  it("reads the group, CPU ticks and zombie state past a name holding spaces and parentheses", () => {
    const fields = ["S", "1", "4242", "4242", ...Array(7).fill("0"), "150", "50", "0"];
    expect(parseStat(`4243 (my (odd) name) ${fields.join(" ")}`)).toEqual({
      pgrp: 4242,
      cpuMs: 2000,
      zombie: false,
    });
    expect(parseStat(`1 (z) Z ${fields.slice(1).join(" ")}`)?.zombie).toBe(true);
  });
});

describe.runIf(process.platform === "linux")("sampleGroup", () => {
  let program: Program | undefined;
  afterEach(async () => {
    await program?.stop();
  });

  it("sums the processes of a program's group: its children count, others do not", async () => {
    const started = run(["sh", "-c", "sleep 30 & sleep 30 & echo up; wait"]);
    program = started.program;
    const pid = program.pid as number;
    expect(await waitUntil(async () => (await sampleGroup(pid))?.pids.length === 3, 5000)).toBe(
      true,
    );
    const sample = await sampleGroup(pid);
    expect(sample?.pids).toContain(pid);
    expect(sample?.pids).not.toContain(process.pid);
    expect(sample?.rssBytes).toBeGreaterThan(100_000);
    expect(await groupRunning(pid)).toBe(true);
    await program.stop();
    expect(await groupRunning(pid)).toBe(false);
    expect(await pidRunning(pid)).toBe(false);
    // Samples may share a scan taken a moment ago; a fresh one finds nobody.
    expect(await waitUntil(async () => (await sampleGroup(pid))?.pids.length === 0, 2000)).toBe(
      true,
    );
  });
});
