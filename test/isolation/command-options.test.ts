import { describe, expect, it } from "vitest";
import { defineDaemon, defineJob } from "../../src/registry/define.js";
import { parseSize } from "../../src/registry/size.js";

describe("defineDaemon with command", () => {
  it("normalizes the program, its readiness, health, limits and env", () => {
    const spec = defineDaemon({
      name: "trainer",
      command: ["python3", "train.py"],
      cwd: "/srv",
      env: { CUDA_VISIBLE_DEVICES: "0" },
      ready: { line: /listening/ },
      health: { http: "http://127.0.0.1:9000/health" },
      maxMemory: "512MB",
      killTimeout: "10s",
    });
    expect(spec.command).toEqual({
      argv: ["python3", "train.py"],
      cwd: "/srv",
      env: { CUDA_VISIBLE_DEVICES: "0" },
      ready: { line: /listening/ },
      health: { http: "http://127.0.0.1:9000/health" },
    });
    expect(spec.maxMemory).toBe(512 * 1024 * 1024);
    expect(spec.killTimeout).toBe(10_000);
    expect(spec.health).toBeUndefined(); // the http check is the program's, run by the manager
    expect(defineDaemon({ name: "plain" })).toMatchObject({
      command: undefined,
      killTimeout: 5000,
    });
  });

  it("refuses what a command daemon cannot be, naming the daemon and the option", () => {
    expect(() => defineDaemon({ name: "a", command: [] })).toThrow(/daemon "a", option command/);
    expect(() => defineDaemon({ name: "b", command: ["x"], run: async () => {} })).toThrow(
      /option run: a command daemon is its program/,
    );
    expect(() => defineDaemon({ name: "c", cwd: "/tmp" })).toThrow(/only a command daemon has cwd/);
    expect(() => defineDaemon({ name: "d", health: { http: "http://x" } })).toThrow(
      /\{ http \} is for command daemons/,
    );
    expect(() => defineDaemon({ name: "e", command: ["x"], ready: { http: "not a url" } })).toThrow(
      /option ready/,
    );
    expect(() => defineDaemon({ name: "f", command: ["x"], maxMemory: "lots" })).toThrow(
      /option maxMemory: expected a size/,
    );
  });
});

describe("defineJob with command", () => {
  it("keeps the program builder and limits; run and command exclude each other", () => {
    const job = defineJob({ type: "export", command: (p: { f: string }) => ["cat", p.f] });
    expect(job.command?.argv({ f: "x" })).toEqual(["cat", "x"]);
    expect(job.command?.killTimeout).toBe(5000);
    expect(() => defineJob({ type: "both", command: () => ["x"], run: () => null })).toThrow(
      /either run or command/,
    );
    expect(() => defineJob({ type: "none" })).toThrow(/expected a function \(or give command\)/);
  });
});

describe("parseSize", () => {
  it("reads bytes and binary units", () => {
    expect(parseSize(1000, "m")).toBe(1000);
    expect(parseSize("64KB", "m")).toBe(65_536);
    expect(parseSize("1.5GiB", "m")).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize(-1, "m")).toThrow(/m: expected a size/);
  });
});
