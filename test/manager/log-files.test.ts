import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createManager, defineConfig, defineDaemon, type Manager } from "../../src/index.js";
import { createLogFiles, formatLogFileLine } from "../../src/manager/log-files.js";

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) .+$/;
const managers: Manager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 5_000 })));
});

const temp = () => mkdtempSync(join(tmpdir(), "ringmaster-logfiles-"));

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

/** Paths this process holds open (Linux: the links of /proc/self/fd). */
function openFiles(): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe("logFiles: per-daemon log files", () => {
  it("writes each daemon's lines, worker and command daemons' too, to <dir>/<name>.log and closes them at shutdown", async () => {
    const dir = temp();
    const logs = join(dir, "logs");
    const autoSync = defineDaemon({
      name: "auto_sync",
      setup(ctx) {
        ctx.log.info("synced", { files: 3 });
        ctx.log.warn("two\nlines");
      },
    });
    const pipeline = defineDaemon({
      name: "data_pipeline",
      setup(ctx) {
        ctx.log.error("export failed", { token: "s3cret" });
      },
    });
    const printer = defineDaemon({
      name: "selfplay",
      command: [
        process.execPath,
        "-e",
        "console.log('hello', 'from the program'); setInterval(() => {}, 1000)",
      ],
    });
    // A worker daemon: its module (the isolation fixtures' ticker) logs "setup" in the worker thread.
    const worker = defineDaemon({
      name: "ticker",
      isolation: "worker",
      module: fileURLToPath(new URL("../isolation/fixtures/daemons.ts", import.meta.url)),
      interval: 20,
      cycle() {},
    });
    const manager = createManager(
      defineConfig({
        daemons: [autoSync, pipeline, printer, worker],
        store: `sqlite:${join(dir, "state.db")}`,
        logFiles: logs,
      }),
      { logger: false },
    );
    managers.push(manager);
    await manager.start();
    await until(
      () => read(join(logs, "selfplay.log")).includes("hello from the program"),
      "the program's line",
    );
    await until(() => read(join(logs, "ticker.log")).includes("setup"), "the worker's line");
    expect(openFiles().filter((f) => f.startsWith(logs)).length).toBe(4);
    const report = await manager.shutdown({ timeout: 5_000 });
    managers.length = 0;

    expect(readdirSync(logs).sort()).toEqual([
      "auto_sync.log",
      "data_pipeline.log",
      "selfplay.log",
      "ticker.log",
    ]);
    const sync = read(join(logs, "auto_sync.log")).trimEnd().split("\n");
    expect(sync).toHaveLength(2);
    for (const line of sync) expect(line).toMatch(LINE);
    expect(sync[0]).toMatch(/ INFO {2}synced \{"files":3\}$/);
    expect(sync[1]).toMatch(/ WARN {2}two\\nlines$/); // one line per entry
    // Secret-looking fields are redacted here as everywhere.
    expect(read(join(logs, "data_pipeline.log"))).toMatch(
      / ERROR export failed \{"token":"\[redacted\]"\}\n$/,
    );
    expect(read(join(logs, "selfplay.log"))).toMatch(/ INFO {2}hello from the program\n/);
    expect(read(join(logs, "ticker.log"))).toMatch(
      /^\S+ INFO {2}setup \{"config":\{.*\}\}\n(.*\n)*\S+ INFO {2}cleanup\n$/,
    );
    expect(report.parts.find((p) => p.name === "logFiles")).toMatchObject({ ok: true });
    expect(openFiles().filter((f) => f.startsWith(logs))).toEqual([]);
  });

  it("keeps the lines in the store as well", async () => {
    const dir = temp();
    const manager = createManager(
      defineConfig({
        daemons: [defineDaemon({ name: "auto_sync", setup: (ctx) => ctx.log.info("hello") })],
        store: `sqlite:${join(dir, "state.db")}`,
        logFiles: { dir: join(dir, "logs") },
      }),
      { logger: false },
    );
    managers.push(manager);
    await manager.start();
    const { inspectManager } = await import("../../src/manager/internal-access.js");
    const stored = await inspectManager(manager).queryLogs({ daemon: "auto_sync" });
    expect(stored.map((l) => l.message)).toContain("hello");
  });

  it("rotates a file once it reaches maxSize, keeping at most maxFiles rotated files", async () => {
    const dir = temp();
    const files = createLogFiles(
      { dir: "logs", maxSize: 1000, maxFiles: 3 },
      {
        logger: pino({ level: "silent" }),
        cwd: dir,
      },
    );
    files.open();
    const entry = (i: number) => ({
      at: Date.UTC(2026, 11, 1, 11, 0, 0, i),
      daemon: "auto_sync",
      level: "info" as const,
      message: `cycle ${String(i).padStart(3, "0")}`,
      fields: { batch: i },
    });
    const lineLength = formatLogFileLine(entry(0)).length;
    for (let i = 0; i < 200; i++) files.write(entry(i));
    await files.close();

    const logs = join(dir, "logs"); // relative to the working directory, like the store
    expect(readdirSync(logs).sort()).toEqual([
      "auto_sync.log",
      "auto_sync.log.1",
      "auto_sync.log.2",
      "auto_sync.log.3",
    ]);
    for (const name of ["auto_sync.log.1", "auto_sync.log.2", "auto_sync.log.3"]) {
      const size = statSync(join(logs, name)).size;
      expect(size).toBeGreaterThanOrEqual(1000);
      expect(size).toBeLessThan(1000 + lineLength);
    }
    // Newest in .1, then .2, .3; the oldest lines are gone; nothing lost in between.
    const kept = ["auto_sync.log.3", "auto_sync.log.2", "auto_sync.log.1", "auto_sync.log"]
      .flatMap((name) => read(join(logs, name)).split("\n").filter(Boolean))
      .map((line) => Number(/cycle (\d+)/.exec(line)?.[1]));
    expect(kept.at(-1)).toBe(199);
    expect(kept).toEqual(kept.map((_, i) => (kept[0] as number) + i));
    expect(kept[0]).toBeGreaterThan(0);
    // After close, lines are dropped rather than reopening a file.
    files.write(entry(500));
    await new Promise((r) => setTimeout(r, 50));
    expect(read(join(logs, "auto_sync.log"))).not.toContain("cycle 500");
  });

  it("refuses bad options with the key, what was expected and what was found", () => {
    const config = (logFiles: unknown) =>
      defineConfig({ daemons: [], logFiles: logFiles as never });
    expect(() => config({ dir: "logs", maxFiles: 0 })).toThrow(
      "config option logFiles.maxFiles: expected a whole number from 1 to 1000, found 0",
    );
    expect(() => config({ dir: "logs", maxSize: "big" })).toThrow(
      'config option logFiles.maxSize: expected a size such as "10MB" or a number of bytes, found "big"',
    );
    expect(() => config({ dir: "logs", maxsize: "1MB" })).toThrow(
      "config option logFiles: unknown key maxsize; expected dir, maxSize, maxFiles",
    );
    expect(() => config(42)).toThrow(
      'config option logFiles: expected a directory such as "logs/", or { dir, maxSize, maxFiles }, found 42',
    );
    expect(() => config("  ")).toThrow(
      'config option logFiles.dir: expected a directory such as "logs/", found "  "',
    );
    expect(config("logs/").logFiles).toEqual({
      dir: "logs/",
      maxSize: 10 * 1024 * 1024,
      maxFiles: 5,
    });
    expect(config({ dir: "logs", maxSize: "64KB", maxFiles: 2 }).logFiles).toEqual({
      dir: "logs",
      maxSize: 64 * 1024,
      maxFiles: 2,
    });
    expect(config(undefined).logFiles).toBeUndefined();
  });

  it("fails start naming the directory when it cannot be made", async () => {
    const dir = temp();
    const blocker = join(dir, "not-a-dir");
    await import("node:fs").then((fs) => fs.writeFileSync(blocker, "x"));
    const manager = createManager(
      defineConfig({
        daemons: [defineDaemon({ name: "auto_sync", setup() {} })],
        store: "memory:",
        logFiles: join(blocker, "logs"),
      }),
      { logger: false },
    );
    managers.push(manager);
    await expect(manager.start()).rejects.toThrow(
      `config option logFiles: cannot create the log directory ${join(blocker, "logs")}`,
    );
    expect(manager.status("auto_sync").state).toBe("stopped");
  });
});
