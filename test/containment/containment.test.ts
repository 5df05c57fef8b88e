import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createManager, defineConfig, defineDaemon } from "../../src/index.js";
import { openStore } from "../../src/store/open.js";

// Each fault runs the fleet (a canary and a culprit) in a child process, so a death would be
// seen, not suffered: test/containment/fixtures/fleet.ts.

const FLEET = join(import.meta.dirname, "fixtures", "fleet.ts");
type Line = { t: number; kind: string; [key: string]: unknown };

interface Fleet {
  lines: Line[];
  child: ChildProcess;
  exited: Promise<number | null>;
  file: string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fleet(fault: string, nodeArgs: string[] = []): Fleet {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-contain-"));
  dirs.push(dir);
  const file = join(dir, "state.db");
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", FLEET, fault, file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: Line[] = [];
  let buffer = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let i = buffer.indexOf("\n");
    while (i >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Line);
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf("\n");
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { lines, child, exited, file };
}

async function until(check: () => boolean, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const find = (f: Fleet, kind: string, where: (l: Line) => boolean = () => true) =>
  f.lines.find((l) => l.kind === kind && where(l));

describe("an error escaping a daemon's code fails that daemon, not the process", () => {
  it.each([
    ["timer-throw", "uncaught: thrown in a timer"],
    ["rejection", "uncaught: rejected, never awaited"],
    ["emitter-error", "uncaught: emitted with no listener"],
  ])(
    "%s: the culprit restarts with the error; the canary keeps cycling",
    async (fault, error) => {
      const f = fleet(fault);
      await until(() => !!find(f, "setup", (l) => l.run === 2));
      const failed = find(f, "state", (l) => l.to === "backoff");
      expect(failed?.reason).toContain(error);
      const fault$ = find(f, "fault") as Line;
      const canaryAfter = () => f.lines.filter((l) => l.kind === "canary" && l.t > fault$.t).length;
      await until(() => canaryAfter() >= 5);
      await until(() => !!find(f, "status", (l) => l.state === "running" && l.restarts === 1));
      expect(find(f, "status", (l) => l.restarts === 1)?.lastError).toBe(error);
      expect(f.child.exitCode).toBeNull();
      f.child.kill("SIGTERM");
      expect(await f.exited).toBe(0);
      const store = await openStore(`sqlite:${f.file}`);
      const record = (await store.loadDaemons()).find((r) => r.name === "culprit");
      await store.close();
      expect(record).toMatchObject({ state: "stopped", restartCount: 1, lastError: error });
    },
    60_000,
  );

  it('an error no daemon owns shuts down cleanly with contain: "shutdown"', async () => {
    const f = fleet("unowned-shutdown");
    expect(await f.exited).toBe(1);
    expect(find(f, "stopped")).toMatchObject({
      cause: "uncaught exception: thrown by no daemon",
      unstopped: [],
    });
    const store = await openStore(`sqlite:${f.file}`);
    const states = (await store.loadDaemons()).map((r) => r.state);
    await store.close();
    expect(states).toEqual(["stopped", "stopped"]);
  }, 60_000);
});

describe("stall watch", () => {
  it.each(["stall", "stall-after-await"])(
    "%s: a 1.5 s busy loop is attributed to its daemon and to no other",
    async (fault) => {
      const f = fleet(fault);
      await until(() => !!find(f, "status", (l) => (l.stalls as number) > 0));
      const s = find(f, "status", (l) => (l.stalls as number) > 0) as Line;
      expect(s.stalls).toBe(1);
      expect((s.lastStall as { ms: number }).ms).toBeGreaterThan(1_000);
      expect(s.canaryStalls).toBe(0);
      expect(s.state).toBe("running");
    },
    60_000,
  );
});

describe("memory", () => {
  it("maxHeap fails the daemon whose cycles grew the heap, before V8 runs out", async () => {
    const f = fleet("heap", ["--max-old-space-size=160"]);
    await until(() => !!find(f, "state", (l) => l.to === "backoff"));
    expect(find(f, "state", (l) => l.to === "backoff")?.reason).toMatch(
      /over maxHeap 64 MB; its cycles grew the heap most .*isolation: "worker"/,
    );
  }, 60_000);
});

describe("hangs are cleared in bounded time", () => {
  it("a hung cycle with cycleTimeout 300ms restarts within a second", async () => {
    let runs = 0;
    const d = defineDaemon({
      name: "hangs",
      interval: 10,
      cycleTimeout: "300ms",
      maxConsecutiveErrors: 0,
      restart: { initialDelay: 100 },
      setup() {
        runs++;
      },
      cycle: () => (runs === 1 ? new Promise(() => {}) : undefined),
    });
    const manager = createManager(defineConfig({ daemons: [d], store: "memory:" }), {
      logger: false,
    });
    await manager.start();
    const t0 = Date.now();
    await until(() => runs === 2 && manager.status("hangs").state === "running", 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(manager.status("hangs").lastError).toBe(
      "1 consecutive cycle errors (maxConsecutiveErrors 0); last: cycle timed out after 300ms (cycleTimeout)",
    );
    await manager.shutdown();
  });

  it("a setup that hangs on its second start leaves starting within its readyTimeout", async () => {
    let runs = 0;
    const d = defineDaemon({
      name: "hangs_later",
      readyTimeout: "400ms",
      restart: { initialDelay: 50 },
      setup() {
        runs++;
        if (runs === 2) return new Promise(() => {});
      },
      run: (ctx) =>
        runs === 1
          ? Promise.reject(new Error("crash"))
          : new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r())),
    });
    const manager = createManager(defineConfig({ daemons: [d], store: "memory:" }), {
      logger: false,
    });
    const entered: number[] = [];
    const left: number[] = [];
    manager.on("daemon:state", (s) => {
      if (s.to === "starting") entered.push(Date.now());
      if (s.from === "starting") left.push(Date.now());
    });
    await manager.start();
    await until(() => runs >= 3, 5_000);
    expect(left[1]! - entered[1]!).toBeLessThan(700);
    expect(manager.status("hangs_later").restarts).toBeGreaterThanOrEqual(2);
    await manager.shutdown();
  });

  it("consecutiveErrors starts from zero on every run", async () => {
    let runs = 0;
    const d = defineDaemon({
      name: "flaky",
      interval: 10,
      maxConsecutiveErrors: 1,
      restart: { initialDelay: 20 },
      setup() {
        runs++;
      },
      cycle() {
        throw new Error("bad");
      },
    });
    const manager = createManager(defineConfig({ daemons: [d], store: "memory:" }), {
      logger: false,
    });
    const order: string[] = [];
    manager.on("daemon:cycle", (c) => order.push(c.ok ? "ok" : "error"));
    manager.on("daemon:restart", () => order.push("restart"));
    await manager.start();
    await until(() => order.filter((o) => o === "restart").length >= 2, 5_000);
    // Each run fails after its own 2 errors (more than maxConsecutiveErrors 1), not after 1.
    expect(order.slice(0, 6)).toEqual(["error", "error", "restart", "error", "error", "restart"]);
    await manager.shutdown();
  });
});
