// Heartbeat-only writes of daemon records (issue 17): `Store.writes.daemonHeartbeat` sets a
// record's lastHeartbeatAt and heartbeatDetails alone, coalesced per daemon, on every store, and
// never loses a field to the interleaving with full record writes (DESIGN.md §6 heartbeats).
import { createManualClock } from "ringmaster";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";
import { createBufferedWrites } from "../../src/store/store-writes.js";
import type { DaemonRecord, Store } from "../../src/store/types.js";
import { proxiedPostgres, until } from "../helpers/pg-outage.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "./helpers/databases.js";
import { daemonRecord, T0 } from "./helpers/records.js";

const hasPostgres = await postgresAvailable();
const kinds: DatabaseKind[] = hasPostgres ? ["memory", "sqlite", "postgres"] : ["memory", "sqlite"];

const record = (over: Partial<DaemonRecord> = {}): DaemonRecord =>
  daemonRecord({ heartbeatDetails: { n: 0 }, ...over });

describe.each(kinds)("daemon heartbeats on the %s store", (kind) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = testDatabase(kind);
    // No flush of its own: the test says when (`writes.flush()`).
    store = database.store({ writes: { flushInterval: 3_600_000 } });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const load = async () => {
    await store.writes.flush();
    return store.loadDaemons();
  };

  it("sets only the heartbeat fields, the latest beat of each daemon", async () => {
    await store.saveDaemons([record(), record({ name: "mailer", state: "degraded" })]);
    for (let n = 1; n <= 5; n++) {
      store.writes.daemonHeartbeat("node-a", "auto_sync", T0 + 100 * n, { n });
    }
    store.writes.daemonHeartbeat("node-a", "mailer", T0 + 50, null);
    expect(store.health().buffered).toBe(2); // coalesced per daemon
    expect(await load()).toEqual([
      record({ lastHeartbeatAt: T0 + 500, heartbeatDetails: { n: 5 } }),
      record({
        name: "mailer",
        state: "degraded",
        lastHeartbeatAt: T0 + 50,
        heartbeatDetails: null,
      }),
    ]);
  });

  it("a heartbeat lands on the record given before it, even when that one is not written yet", async () => {
    store.writes.daemon(
      record({ state: "starting", lastHeartbeatAt: null, heartbeatDetails: null }),
    );
    store.writes.daemon(
      record({ lastHeartbeatAt: null, heartbeatDetails: null, updatedAt: T0 + 20 }),
    );
    store.writes.daemonHeartbeat("node-a", "auto_sync", T0 + 30, { n: 1 });
    expect(await load()).toEqual([
      record({ lastHeartbeatAt: T0 + 30, heartbeatDetails: { n: 1 }, updatedAt: T0 + 20 }),
    ]);
  });

  it("never brings back an older state, and a later record keeps its own newer fields", async () => {
    await store.saveDaemons([record()]);
    store.writes.daemonHeartbeat("node-a", "auto_sync", T0 + 40, { n: 1 });
    // The daemon failed after that beat: its record carries the beat, and the state wins.
    store.writes.daemon(
      record({
        state: "failed",
        lastError: "boom",
        lastHeartbeatAt: T0 + 40,
        heartbeatDetails: { n: 1 },
        updatedAt: T0 + 50,
      }),
    );
    expect(await load()).toEqual([
      record({
        state: "failed",
        lastError: "boom",
        lastHeartbeatAt: T0 + 40,
        heartbeatDetails: { n: 1 },
        updatedAt: T0 + 50,
      }),
    ]);
  });

  it("a record made before a heartbeat but written after it keeps the newer heartbeat", async () => {
    await store.saveDaemons([record()]);
    await store.saveDaemonHeartbeats([
      { node: "node-a", name: "auto_sync", at: T0 + 100, details: { n: 7 } },
    ]);
    await store.saveDaemons([record({ restartCount: 1, updatedAt: T0 + 90 })]);
    expect(await store.loadDaemons()).toEqual([
      record({
        restartCount: 1,
        lastHeartbeatAt: T0 + 100,
        heartbeatDetails: { n: 7 },
        updatedAt: T0 + 90,
      }),
    ]);
  });

  it("a record without a heartbeat (a new process's daemon that has not beat) clears the stored one", async () => {
    await store.saveDaemons([record({ lastHeartbeatAt: T0 + 100, heartbeatDetails: { n: 9 } })]);
    await store.saveDaemons([
      record({
        state: "starting",
        lastHeartbeatAt: null,
        heartbeatDetails: null,
        updatedAt: T0 + 200,
      }),
    ]);
    expect(await store.loadDaemons()).toEqual([
      record({
        state: "starting",
        lastHeartbeatAt: null,
        heartbeatDetails: null,
        updatedAt: T0 + 200,
      }),
    ]);
  });

  it("an older heartbeat changes nothing; one without a record creates none", async () => {
    await store.saveDaemons([record({ lastHeartbeatAt: T0 + 100, heartbeatDetails: { n: 9 } })]);
    await store.saveDaemonHeartbeats([
      { node: "node-a", name: "auto_sync", at: T0 + 60, details: { n: 3 } },
      { node: "node-a", name: "unknown", at: T0 + 60, details: null },
      { node: "node-b", name: "auto_sync", at: T0 + 60, details: null },
    ]);
    expect(await store.loadDaemons()).toEqual([
      record({ lastHeartbeatAt: T0 + 100, heartbeatDetails: { n: 9 } }),
    ]);
  });
});

describe.runIf(hasPostgres)(
  "daemon heartbeats through a PostgreSQL outage",
  { timeout: 60_000 },
  () => {
    const postgres = proxiedPostgres();

    it("buffers them coalesced per daemon while it lasts and writes the latest after", async () => {
      const { proxy, schema, url } = await postgres.open();
      const store = createStore(url, {
        connectTimeoutMs: 1000,
        writes: { flushInterval: 20, retry: { initialDelay: 20, factor: 2, maxDelay: 200 } },
      });
      const direct = createStore(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`, {});
      await store.open();
      await direct.open();
      try {
        const names = ["a", "b", "c"];
        await store.saveDaemons(names.map((name) => record({ name })));
        proxy.cut();
        for (let n = 1; n <= 20; n++) {
          for (const name of names)
            store.writes.daemonHeartbeat("node-a", name, T0 + 100 * n, { n });
        }
        store.writes.daemon(
          record({
            name: "c",
            state: "stopping",
            lastHeartbeatAt: T0 + 2000,
            heartbeatDetails: { n: 20 },
            updatedAt: T0 + 2010,
          }),
        );
        await until("the store degraded", () => store.health().degraded);
        expect(store.health().buffered).toBe(names.length + 1);
        proxy.restore();
        await until(
          "the store recovered",
          () => store.health().ok && store.health().buffered === 0,
        );
        expect(await direct.loadDaemons()).toEqual([
          record({ name: "a", lastHeartbeatAt: T0 + 2000, heartbeatDetails: { n: 20 } }),
          record({ name: "b", lastHeartbeatAt: T0 + 2000, heartbeatDetails: { n: 20 } }),
          record({
            name: "c",
            state: "stopping",
            lastHeartbeatAt: T0 + 2000,
            heartbeatDetails: { n: 20 },
            updatedAt: T0 + 2010,
          }),
        ]);
      } finally {
        proxy.restore();
        await store.close();
        await direct.close();
      }
    });
  },
);

describe("the order of heartbeat and record writes", () => {
  it("a heartbeat batch waits for the record batch in flight before it (a pool would run them side by side)", async () => {
    const calls: string[] = [];
    let saved: () => void = () => {};
    const never = async (): Promise<never> => {
      throw new Error("not called in this test");
    };
    const buffered = createBufferedWrites(
      {
        appendEvents: never,
        launchJobs: never,
        appendLogs: never,
        heartbeatNode: never,
        saveDaemons: () => {
          calls.push("record");
          return new Promise<void>((resolve) => {
            saved = resolve;
          });
        },
        saveDaemonHeartbeats: async () => {
          calls.push("heartbeat");
        },
      },
      { clock: createManualClock(T0), flushInterval: 3_600_000 },
      () => true,
    );
    buffered.opened();
    buffered.writes.daemon(record({ lastHeartbeatAt: null, heartbeatDetails: null }));
    const first = buffered.writes.flush();
    buffered.writes.daemonHeartbeat("node-a", "auto_sync", T0 + 30, { n: 1 });
    const second = buffered.writes.flush();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(calls).toEqual(["record"]);
    saved();
    await Promise.all([first, second]);
    expect(calls).toEqual(["record", "heartbeat"]);
    await buffered.close();
  });
});
