import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/internal/clock.js";
import { AbortedError } from "../../src/internal/sleep.js";
import type { Program } from "../../src/isolation/command.js";
import { httpHealth, waitReady } from "../../src/isolation/readiness.js";
import { fixture, freePort, run } from "./command-helpers.js";

describe("waitReady", () => {
  const programs: Program[] = [];
  afterEach(async () => {
    await Promise.all(programs.splice(0).map((program) => program.stop()));
  });

  /** Starts a program whose lines also reach readiness listeners. */
  const start = (argv: string[]) => {
    const listeners = new Set<(line: string) => void>();
    const { program } = run(argv, {
      onLine: (_stream, line) => {
        for (const listener of listeners) listener(line);
      },
    });
    programs.push(program);
    const onLine = (listener: (line: string) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    return { program, onLine };
  };

  it("by line: ready when a line matches, not before", async () => {
    const { program, onLine } = start([
      "sh",
      "-c",
      "echo booting; sleep 0.3; echo listening on 9; sleep 100",
    ]);
    const asked = Date.now();
    await waitReady({ program, onLine, ready: { line: /listening on \d+/ }, clock: systemClock });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
  });

  it("by line: a program that exits first fails the wait with its exit", async () => {
    const { program, onLine } = start(["sh", "-c", "echo nope; exit 4"]);
    await expect(
      waitReady({ program, onLine, ready: { line: /ready/ }, clock: systemClock }),
    ).rejects.toThrow("exited before it was ready: exit code 4");
  });

  it("gives up after its timeout and when its signal aborts", async () => {
    const { program, onLine } = start(["sleep", "100"]);
    await expect(
      waitReady({ program, onLine, ready: { line: /x/ }, clock: systemClock, timeout: 200 }),
    ).rejects.toThrow("not ready within 200ms");
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await expect(
      waitReady({
        program,
        onLine,
        ready: { line: /x/ },
        clock: systemClock,
        signal: abort.signal,
      }),
    ).rejects.toBeInstanceOf(AbortedError);
  });

  it("by http: ready once the URL answers 2xx", async () => {
    const port = await freePort();
    const { program, onLine } = start(["python3", fixture("serve.py"), String(port), "0.5"]);
    const asked = Date.now();
    await waitReady({
      program,
      onLine,
      ready: { http: `http://127.0.0.1:${port}/health` },
      clock: systemClock,
      timeout: 10_000,
    });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(400);
    const answer = await fetch(`http://127.0.0.1:${port}/health`);
    expect(answer.status).toBe(200);
  });

  it("spawn: ready at once for a started program", async () => {
    const { program, onLine } = start(["sleep", "100"]);
    await expect(
      waitReady({ program, onLine, ready: "spawn", clock: systemClock }),
    ).resolves.toBeUndefined();
  });
});

describe("httpHealth", () => {
  const dirs: string[] = [];
  const programs: Program[] = [];
  afterEach(async () => {
    await Promise.all(programs.splice(0).map((program) => program.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is healthy on 2xx and unhealthy on 5xx or no answer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-health-"));
    dirs.push(dir);
    const sick = join(dir, "sick");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    expect(await httpHealth(url, 500)).toMatchObject({ status: "unhealthy" });
    const { program, lines } = run(["python3", fixture("serve.py"), String(port), "0", sick]);
    programs.push(program);
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.line.startsWith("listening")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await httpHealth(url, 2000)).toMatchObject({ status: "healthy" });
    writeFileSync(sick, "");
    expect(existsSync(sick)).toBe(true);
    expect(await httpHealth(url, 2000)).toEqual({
      status: "unhealthy",
      message: `GET ${url}: HTTP 503`,
      details: { url },
    });
  });
});
