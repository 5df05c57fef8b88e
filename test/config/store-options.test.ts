import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";
import { proxiedPostgres, until } from "../helpers/pg-outage.js";
import { postgresAvailable } from "../store/helpers/databases.js";

declare module "ringmaster" {
  interface Events {
    BUFFER_FILL: { pad: string };
  }
}

const idle = defineDaemon({
  name: "idle",
  async run(ctx) {
    await ctx.sleep(600_000).catch(() => {});
  },
});
const config = (extra: Partial<Parameters<typeof defineConfig>[0]>) =>
  defineConfig({ daemons: [idle], ...extra });

describe("store.outageBuffer and events.retention in the config", () => {
  it("default to 64 MB and { 7 days, 1,000,000 rows }; take sizes, durations and a URL", () => {
    const defaults = config({});
    expect(defaults.outageBuffer).toBe(64 * 1024 * 1024);
    expect(defaults.events.retention).toEqual({ maxAge: 7 * 24 * 3_600_000, maxRows: 1_000_000 });
    expect(defaults.store).toBe("sqlite:.ringmaster/state.db");
    const set = config({
      store: { url: "memory:", outageBuffer: "16MB" },
      events: { retention: { maxAge: "2d", maxRows: 5_000 }, maxAttempts: 2 },
    });
    expect(set.store).toBe("memory:");
    expect(set.outageBuffer).toBe(16 * 1024 * 1024);
    expect(set.events.retention).toEqual({ maxAge: 2 * 24 * 3_600_000, maxRows: 5_000 });
    expect(set.events.maxAttempts).toBe(2);
    expect(config({ store: { outageBuffer: 4096 } })).toMatchObject({
      store: "sqlite:.ringmaster/state.db",
      outageBuffer: 4096,
    });
  });

  it("refuse a bad value with the option, what was expected and what was found", () => {
    const refusal = (extra: Partial<Parameters<typeof defineConfig>[0]>) => {
      try {
        config(extra);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal({ store: { outageBuffer: "lots" } })).toBe(
      'config option store.outageBuffer: expected a size such as "512MB", "2GB" or a number of bytes, found "lots"',
    );
    expect(refusal({ store: { outageBuffer: -1 } })).toMatch(
      /^config option store\.outageBuffer: expected a size .* found -1$/,
    );
    expect(refusal({ store: { url: "memory:", outageBufer: "1MB" } as never })).toBe(
      'config option store: unknown key "outageBufer"; expected url or outageBuffer',
    );
    expect(refusal({ store: 42 as never })).toBe(
      "config option store: expected a store URL or { url, outageBuffer }, found 42",
    );
    expect(refusal({ events: { retention: { maxAge: "a week" } } })).toMatch(
      /^config option events\.retention\.maxAge: expected a duration such as .* found "a week"$/,
    );
    expect(refusal({ events: { retention: { maxAge: 0 } } })).toBe(
      'config option events.retention.maxAge: expected a duration of more than 0 such as "7d", found 0',
    );
    expect(refusal({ events: { retention: { maxRows: 2.5 } } })).toBe(
      "config option events.retention.maxRows: expected a whole number of 1 or more such as 1_000_000, found 2.5",
    );
    expect(refusal({ events: { retention: { maxRows: "many" as never } } })).toBe(
      'config option events.retention.maxRows: expected a whole number of 1 or more such as 1_000_000, found "many"',
    );
    expect(refusal({ events: { retention: { maxRow: 5 } as never } })).toBe(
      'config option events.retention: unknown key "maxRow"; expected maxAge or maxRows',
    );
  });
});

describe("events.retention under a running manager", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  // 300 stored events, the first 100 two days old; the sweep at start-up applies the config's rule.
  it.each([
    [{ maxAge: "1d" }, 200, 101],
    [{ maxRows: 120 }, 120, 181],
    [{}, 300, 1],
  ] as const)("with %j, %i events are left from seq %i on", async (retention, left, first) => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-retention-config-"));
    dirs.push(dir);
    const url = `sqlite:${join(dir, "state.db")}`;
    const seed = createStore(url);
    await seed.open();
    const now = Date.now();
    await seed.appendEvents(
      Array.from({ length: 300 }, (_, i) => ({
        id: `e${i}`,
        type: "BUFFER_FILL",
        payload: { pad: "" } as never,
        source: "test",
        time: i < 100 ? now - 2 * 24 * 3_600_000 : now,
      })),
    );
    await seed.close();
    const manager = createManager(config({ store: url, events: { retention } }), {
      logger: false,
    });
    await manager.start();
    const read = createStore(url);
    await read.open();
    const stored = async () => read.readEvents({ afterSeq: 0, limit: 1000 });
    await until(`${left} events left`, async () => (await stored()).length === left);
    // Nothing more goes: the sweep is done.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = await stored();
    expect(events).toHaveLength(left);
    expect(events[0]?.seq).toBe(first);
    await read.close();
    await manager.shutdown();
  });
});

const available = await postgresAvailable();

describe.runIf(available)(
  "store.outageBuffer under a PostgreSQL outage",
  { timeout: 60_000 },
  () => {
    const postgres = proxiedPostgres();

    it("keeps at most outageBuffer bytes in memory and spools the rest", async () => {
      const { proxy, url } = await postgres.open();
      const manager = createManager(
        config({
          store: {
            url: url,
            outageBuffer: "8KB",
          },
        }),
        { logger: false },
      );
      await manager.start();
      proxy.cut();
      await until("the store degraded", () => manager.liveness().warnings !== undefined);
      for (let i = 0; i < 100; i++) manager.events.publish("BUFFER_FILL", { pad: "x".repeat(500) });
      const store = manager.liveness().store;
      expect(store).toMatchObject({ state: "degraded" });
      expect(store?.since).toBeGreaterThan(0);
      expect(store?.bytesBuffered).toBeLessThanOrEqual(8 * 1024);
      expect(store?.bytesBuffered).toBeGreaterThan(4 * 1024);
      expect(store?.spooled).toBeGreaterThan(80);
      proxy.restore();
      await until("the store caught up", () => manager.liveness().warnings === undefined);
      await manager.shutdown();
    });
  },
);
