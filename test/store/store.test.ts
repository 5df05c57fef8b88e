import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeadLetter } from "../../src/events/types.js";
import { StoreError } from "../../src/store/errors.js";
import { SCHEMA_VERSION } from "../../src/store/migrations/index.js";
import type { DaemonRecord, NewEvent, Store } from "../../src/store/types.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "./helpers/databases.js";
import { daemonRecord, T0 } from "./helpers/records.js";

// One suite, every implementation: as kysely runs its feature tests over every dialect.
const kinds: DatabaseKind[] = ["sqlite", "memory"];
if (await postgresAvailable()) kinds.splice(1, 0, "postgres");

const record = daemonRecord;

const event = (
  id: string,
  type = "DATA_SYNC_COMPLETED",
  payload: unknown = { files: 1 },
): NewEvent => ({
  id,
  type,
  payload: payload as never,
  source: "auto_sync",
  time: T0,
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(kinds)("store (%s)", (kind) => {
  let database: TestDatabase;
  let store: Store;
  const others: Store[] = [];

  const reopen = async () => {
    await store.close();
    store = database.store();
    await store.open();
    return store;
  };

  beforeEach(async () => {
    database = testDatabase(kind);
    store = database.store();
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    for (const other of others.splice(0)) await other.close();
    await database.drop();
  });

  describe("open", () => {
    it("creates the schema and reports healthy", async () => {
      expect(store.kind).toBe(kind);
      expect(store.health()).toMatchObject({ ok: true, degraded: false, buffered: 0, dropped: 0 });
      expect(await store.listNodes()).toEqual([]);
    });

    it.runIf(kind !== "memory")(
      "is idempotent: reopening keeps the data and migrates nothing twice",
      async () => {
        await store.upsertNode({
          id: "n1",
          host: "h",
          pid: 1,
          profile: null,
          startedAt: T0,
          lastHeartbeatAt: null,
        });
        await reopen();
        await reopen();
        expect((await store.listNodes()).map((n) => n.id)).toEqual(["n1"]);
      },
    );

    it.runIf(kind !== "memory")(
      "refuses a database written by a newer ringmaster, naming both versions",
      async () => {
        await store.close();
        const newer = SCHEMA_VERSION + 1;
        await database.exec(
          `update ringmaster_meta set value = '${newer}' where key = 'schema_version'`,
        );
        store = database.store();
        const error = await store.open().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toContain(`schema version ${newer}`);
        expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION}`);
        expect((error as Error).message).toContain("upgrade ringmaster");
      },
    );

    it("rejects calls before open and after close", async () => {
      const fresh = database.store();
      await expect(fresh.listNodes()).rejects.toThrow(/not open/);
      await store.close();
      await expect(store.listNodes()).rejects.toThrow(/not open/);
      expect(store.health().ok).toBe(false);
    });
  });

  describe("nodes", () => {
    it("upserts nodes and records heartbeats, never moving one back", async () => {
      await store.upsertNode({
        id: "n1",
        host: "box",
        pid: 42,
        profile: "coordinator",
        startedAt: T0,
        lastHeartbeatAt: null,
        url: "http://127.0.0.1:8790",
      });
      await store.heartbeatNode("n1", T0 + 100);
      await store.heartbeatNode("n1", T0 + 50);
      expect(await store.listNodes()).toEqual([
        {
          id: "n1",
          host: "box",
          pid: 42,
          profile: "coordinator",
          startedAt: T0,
          lastHeartbeatAt: T0 + 100,
          url: "http://127.0.0.1:8790",
        },
      ]);
    });
  });

  describe("daemon records and settings", () => {
    it("saves records per node and ignores an older record", async () => {
      await store.saveDaemons([
        record(),
        record({ node: "node-b", state: "failed", lastError: "boom" }),
      ]);
      await store.saveDaemons([record({ state: "stopped", updatedAt: T0 })]); // older: ignored
      await store.saveDaemons([
        record({ restartCount: 2, updatedAt: T0 + 20 }),
        record({ restartCount: 3, updatedAt: T0 + 30 }),
      ]);
      const a = await store.loadDaemons("node-a");
      expect(a).toEqual([record({ restartCount: 3, updatedAt: T0 + 30 })]);
      const all = await store.loadDaemons();
      expect(all.map((r) => [r.node, r.state, r.lastError])).toEqual([
        ["node-a", "running", null],
        ["node-b", "failed", "boom"],
      ]);
    });

    it("patches settings by daemon name: omitted fields stay, null clears", async () => {
      await store.setDaemonSettings(
        "auto_sync",
        { enabled: false, configOverrides: { batchSize: 50 } },
        T0,
      );
      const after = await store.setDaemonSettings("auto_sync", { autoStart: false }, T0 + 1);
      expect(after).toEqual({
        name: "auto_sync",
        enabled: false,
        autoStart: false,
        configOverrides: { batchSize: 50 },
        updatedAt: T0 + 1,
      });
      await store.setDaemonSettings("auto_sync", { enabled: null, configOverrides: null }, T0 + 2);
      expect(await store.loadDaemonSettings()).toEqual([
        {
          name: "auto_sync",
          enabled: null,
          autoStart: false,
          configOverrides: null,
          updatedAt: T0 + 2,
        },
      ]);
    });

    it.runIf(kind !== "memory")("keeps records and settings across close and reopen", async () => {
      await store.saveDaemons([record()]);
      await store.setDaemonSettings(
        "auto_sync",
        { enabled: false, autoStart: false, configOverrides: { x: [1, 2] } },
        T0,
      );
      store.writes.log({
        time: T0,
        daemon: "auto_sync",
        level: "info",
        message: "buffered, then flushed by close",
      });
      await reopen();
      expect(await store.loadDaemons()).toEqual([record()]);
      expect(await store.loadDaemonSettings()).toEqual([
        {
          name: "auto_sync",
          enabled: false,
          autoStart: false,
          configOverrides: { x: [1, 2] },
          updatedAt: T0,
        },
      ]);
      expect((await store.queryLogs()).map((l) => l.message)).toEqual([
        "buffered, then flushed by close",
      ]);
    });
  });

  describe("logs", () => {
    beforeEach(async () => {
      await store.appendLogs([
        { time: T0 + 1, daemon: "a", level: "debug", message: "a1" },
        { time: T0 + 2, daemon: "a", level: "info", message: "a2", fields: { n: 2 } },
        { time: T0 + 3, daemon: "b", level: "warn", message: "b3", node: "node-a" },
        { time: T0 + 4, daemon: "a", level: "error", message: "a4", fields: { err: "x" } },
        { time: T0 + 5, daemon: "b", level: "info", message: "b5" },
      ]);
    });

    it("returns the newest first by default, with fields and node", async () => {
      const rows = await store.queryLogs();
      expect(rows.map((r) => r.message)).toEqual(["b5", "a4", "b3", "a2", "a1"]);
      expect(rows[1]).toMatchObject({
        daemon: "a",
        level: "error",
        fields: { err: "x" },
        node: null,
        time: T0 + 4,
      });
      expect(rows[2]?.node).toBe("node-a");
      expect(rows[4]?.fields).toEqual({});
    });

    it("filters by daemon, minimum level, time range and limit", async () => {
      const m = async (q: Parameters<Store["queryLogs"]>[0]) =>
        (await store.queryLogs(q)).map((r) => r.message);
      expect(await m({ daemon: "a", order: "asc" })).toEqual(["a1", "a2", "a4"]);
      expect(await m({ level: "warn", order: "asc" })).toEqual(["b3", "a4"]);
      expect(await m({ level: "info", daemon: "a" })).toEqual(["a4", "a2"]);
      expect(await m({ since: T0 + 2, until: T0 + 4, order: "asc" })).toEqual(["a2", "b3"]);
      expect(await m({ limit: 2 })).toEqual(["b5", "a4"]);
      expect(await m({ limit: 2, order: "asc" })).toEqual(["a1", "a2"]);
    });

    it("trims by rows per daemon and by age, returning the rows removed", async () => {
      expect(
        await store.trimLogs({
          maxRowsPerDaemon: 2,
          maxAgeMs: Number.POSITIVE_INFINITY,
          now: T0 + 10,
        }),
      ).toBe(1);
      expect((await store.queryLogs({ order: "asc" })).map((r) => r.message)).toEqual([
        "a2",
        "b3",
        "a4",
        "b5",
      ]);
      // Older than T0 + 4 goes.
      expect(
        await store.trimLogs({
          maxRowsPerDaemon: Number.POSITIVE_INFINITY,
          maxAgeMs: 6,
          now: T0 + 10,
        }),
      ).toBe(2);
      expect((await store.queryLogs({ order: "asc" })).map((r) => r.message)).toEqual(["a4", "b5"]);
      expect(
        await store.trimLogs({ maxRowsPerDaemon: 0, maxAgeMs: Number.POSITIVE_INFINITY, now: T0 }),
      ).toBe(2);
      expect(await store.queryLogs()).toEqual([]);
    });

    it("writes buffered rows in order once flushed", async () => {
      for (let i = 0; i < 30; i++)
        store.writes.log({ time: T0 + 100 + i, daemon: "c", level: "info", message: `c${i}` });
      await store.writes.flush();
      const rows = await store.queryLogs({ daemon: "c", order: "asc" });
      expect(rows.map((r) => r.message)).toEqual(Array.from({ length: 30 }, (_, i) => `c${i}`));
      expect(store.health()).toMatchObject({ ok: true, buffered: 0, dropped: 0 });
    });
  });

  describe("events", () => {
    it("assigns increasing seqs across appends and returns an existing seq for a known id", async () => {
      const first = await store.appendEvents([event("e1"), event("e2")]);
      const second = await store.appendEvents([
        event("e3"),
        event("e1"),
        event("e4", "TRAINING_COMPLETED", { model: "m" }),
      ]);
      expect(first[1]).toBeGreaterThan(first[0] as number);
      expect(second[0]).toBeGreaterThan(first[1] as number);
      expect(second[1]).toBe(first[0]);
      expect(second[2]).toBeGreaterThan(second[0] as number);
      const all = await store.readEvents({ afterSeq: 0, limit: 100 });
      expect(all.map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4"]);
      expect(all[3]).toEqual({
        ...event("e4", "TRAINING_COMPLETED", { model: "m" }),
        seq: second[2],
      });
    });

    it("reads after a seq, by type, up to a limit", async () => {
      const seqs = await store.appendEvents(
        ["e1", "e2", "e3", "e4", "e5"].map((id, i) => event(id, i % 2 ? "B" : "A")),
      );
      const after = await store.readEvents({ afterSeq: seqs[1] as number, limit: 2 });
      expect(after.map((e) => e.id)).toEqual(["e3", "e4"]);
      const onlyA = await store.readEvents({ afterSeq: 0, types: ["A"], limit: 10 });
      expect(onlyA.map((e) => e.id)).toEqual(["e1", "e3", "e5"]);
      expect(await store.readEvents({ afterSeq: 0, types: [], limit: 10 })).toEqual([]);
    });

    it("trims events older than the retention that every subscriber has passed", async () => {
      const now = T0 + 10 * 24 * 3600_000;
      const old = (id: string) => ({ ...event(id), time: T0 });
      const recent = { ...event("new"), time: now - 1000 };
      const seqs = await store.appendEvents([old("o1"), old("o2"), old("o3"), recent]);
      await store.setCursor("slow", seqs[1] as number);
      await store.setCursor("fast", seqs[3] as number);
      // o3 is old but the slow subscriber has not handled it; "new" is recent
      expect(await store.trimEvents({ maxAgeMs: 7 * 24 * 3600_000, now })).toBe(2);
      const left = await store.readEvents({ afterSeq: 0, limit: 10 });
      expect(left.map((e) => e.id)).toEqual(["o3", "new"]);
    });

    it("trims events beyond the newest maxRows in batches of at most limit, whatever the cursors", async () => {
      const now = T0 + 1000;
      const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
      const seqs = await store.appendEvents(ids.map((id) => ({ ...event(id), time: now })));
      await store.setCursor("gone-for-good", seqs[0] as number);
      const rule = { maxAgeMs: 7 * 24 * 3600_000, maxRows: 20, now, limit: 12 };
      expect(await store.trimEvents(rule)).toBe(12);
      expect(await store.trimEvents(rule)).toBe(12);
      expect(await store.trimEvents(rule)).toBe(6);
      expect(await store.trimEvents(rule)).toBe(0);
      const left = await store.readEvents({ afterSeq: 0, limit: 100 });
      expect(left.map((e) => e.id)).toEqual(ids.slice(30));
    });

    it("keeps a cursor per subscriber that only moves forward", async () => {
      expect(await store.getCursor("auto_sync")).toBe(0);
      await store.setCursor("auto_sync", 5);
      await store.setCursor("auto_sync", 3);
      await store.setCursor("other", 1);
      expect(await store.getCursor("auto_sync")).toBe(5);
      expect(await store.getCursor("other")).toBe(1);
    });

    it.runIf(kind !== "memory")(
      "keeps events and cursors across reopen, and seqs keep increasing",
      async () => {
        const [s1] = await store.appendEvents([event("e1")]);
        await store.setCursor("auto_sync", s1 as number);
        await reopen();
        expect(await store.getCursor("auto_sync")).toBe(s1);
        const [s2] = await store.appendEvents([event("e2")]);
        expect(s2).toBeGreaterThan(s1 as number);
        expect(
          (await store.readEvents({ afterSeq: s1 as number, limit: 10 })).map((e) => e.id),
        ).toEqual(["e2"]);
      },
    );

    it("stores, lists and removes dead letters", async () => {
      const letter = (id: string, at: number, subscriber = "auto_sync"): DeadLetter => ({
        id,
        event: { ...event(`ev-${id}`), seq: 7 },
        subscriber,
        reason: "handler-failed",
        error: "Error: boom",
        attempts: 3,
        at,
      });
      await store.addDeadLetter(letter("d2", T0 + 2));
      await store.addDeadLetter(letter("d1", T0 + 1, "other"));
      await store.addDeadLetter(letter("d1", T0 + 9)); // same id: ignored
      expect(await store.listDeadLetters()).toEqual([
        letter("d1", T0 + 1, "other"),
        letter("d2", T0 + 2),
      ]);
      expect((await store.listDeadLetters({ subscriber: "auto_sync" })).map((d) => d.id)).toEqual([
        "d2",
      ]);
      expect(await store.removeDeadLetter("d1")).toBe(true);
      expect(await store.removeDeadLetter("d1")).toBe(false);
      expect((await store.listDeadLetters()).map((d) => d.id)).toEqual(["d2"]);
    });

    it("wakes a listener when events are appended, until it stops listening", async () => {
      let wakes = 0;
      const stop = await store.listen("events", () => wakes++);
      await store.appendEvents([event("e1")]);
      await waitFor(() => wakes >= 1);
      await stop();
      const before = wakes;
      await store.appendEvents([event("e2")]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(wakes).toBe(before);
    });

    it.runIf(kind !== "memory")(
      "wakes a listener of another store on the same database",
      async () => {
        const other = database.store();
        others.push(other);
        await other.open();
        let wakes = 0;
        await other.listen("events", () => wakes++);
        await store.appendEvents([event("e1")]);
        await waitFor(() => wakes >= 1);
        const jobsWakes: number[] = [];
        await other.listen("jobs", () => jobsWakes.push(1));
        await store.notify("jobs");
        await waitFor(() => jobsWakes.length >= 1);
      },
    );
  });

  describe("leases", () => {
    it("hands out increasing fencing tokens, one holder at a time", async () => {
      const leases = store.cluster;
      const t1 = await leases.acquireLease("scheduler", "node-a", 1000, T0);
      expect(t1).toBeTypeOf("number");
      expect(await leases.acquireLease("scheduler", "node-b", 1000, T0 + 10)).toBeNull();
      // An unexpired lease is not acquired again, not even by its holder: it renews it.
      expect(await leases.acquireLease("scheduler", "node-a", 1000, T0 + 500)).toBeNull();
      const ref = { name: "scheduler", token: t1 as number };
      expect(await leases.renewLeases("node-a", [ref], 1000, T0 + 900)).toEqual([ref]);
      expect(await leases.acquireLease("scheduler", "node-b", 1000, T0 + 1800)).toBeNull();
      // Expired: another node takes it with a greater token; the old holder cannot renew.
      const t2 = await leases.acquireLease("scheduler", "node-b", 1000, T0 + 1901);
      expect(t2).toBeGreaterThan(t1 as number);
      expect(await leases.renewLeases("node-a", [ref], 1000, T0 + 1902)).toEqual([]);
      expect(await leases.listLeases()).toEqual([
        {
          name: "scheduler",
          holder: "node-b",
          token: t2,
          expiresAt: T0 + 2901,
          acquiredAt: T0 + 1901,
        },
      ]);
      // Released: the next holder gets a greater token at once.
      expect(await leases.releaseLease("scheduler", "node-a", t1 as number)).toBe(false);
      expect(await leases.releaseLease("scheduler", "node-b", t2 as number)).toBe(true);
      const t3 = await leases.acquireLease("scheduler", "node-a", 1000, T0 + 2000);
      expect(t3).toBeGreaterThan(t2 as number);
      // Leases are independent by name.
      expect(await leases.acquireLease("other", "node-b", 1000, T0 + 2000)).toBe(1);
    });

    it("gives a greater token to the same holder after its lease expired", async () => {
      const t1 = await store.cluster.acquireLease("x", "node-a", 100, T0);
      const t2 = await store.cluster.acquireLease("x", "node-a", 100, T0 + 200);
      expect(t2).toBeGreaterThan(t1 as number);
    });
  });
});
