import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STORE_DEFAULTS } from "../../src/store/defaults.js";
import { StoreError, StoreUnavailableError } from "../../src/store/errors.js";
import { type CreateStoreOptions, createStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import {
  PG_HOST,
  PG_PORT,
  PG_URL,
  postgresAvailable,
  randomSchema,
  testDatabase,
} from "./helpers/databases.js";

// The database really goes away: a TCP proxy between the store and PostgreSQL is cut and restored.
const available = await postgresAvailable();

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const T0 = Date.UTC(2026, 0, 1);
const event = (n: number) => ({
  id: `e${n}`,
  type: "TICK",
  payload: { n, pad: "x".repeat(100) } as never,
  source: "test",
  time: T0 + n,
});

describe.runIf(available)("a cut PostgreSQL connection", { timeout: 60_000 }, () => {
  let proxy: TcpProxy;
  let schema: string;
  let dir: string;
  let store: Store;
  let direct: Store;

  const throughProxy = (options: CreateStoreOptions = {}) =>
    createStore(`postgres://postgres@127.0.0.1:${proxy.port}/test`, {
      schema,
      connectTimeoutMs: 1000,
      ...options,
      writes: {
        flushInterval: 20,
        retry: { initialDelay: 20, factor: 2, maxDelay: 200 },
        ...options.writes,
      },
    });

  beforeEach(async () => {
    proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    schema = randomSchema();
    dir = mkdtempSync(join(tmpdir(), "ringmaster-outage-"));
    direct = createStore(PG_URL, { schema });
    await direct.open();
  });

  afterEach(async () => {
    proxy.restore();
    await store?.close();
    await direct.close();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
    await testDatabase("postgres")
      .exec(`drop schema if exists "${schema}" cascade`)
      .catch(() => {});
  });

  const logCount = async () => (await direct.queryLogs({ limit: 10_000 })).length;

  it("loses nothing: rows pushed during the cut are written after it, and health says degraded meanwhile", async () => {
    store = throughProxy();
    await store.open();
    await store.upsertNode({
      id: "node-a",
      host: "box",
      pid: 1,
      profile: null,
      startedAt: T0,
      lastHeartbeatAt: null,
    });
    for (let i = 0; i < 50; i++)
      store.writes.log({ time: T0 + i, daemon: "auto_sync", level: "info", message: `m${i}` });
    await store.writes.flush();
    expect(await logCount()).toBe(50);

    proxy.cut();
    for (let i = 50; i < 150; i++)
      store.writes.log({ time: T0 + i, daemon: "auto_sync", level: "info", message: `m${i}` });
    store.writes.daemon({
      name: "auto_sync",
      node: "node-a",
      state: "running",
      enabled: true,
      autoStart: true,
      restartCount: 1,
      lastError: null,
      startedAt: T0,
      lastHeartbeatAt: T0 + 149,
      heartbeatDetails: { during: "cut" },
      updatedAt: T0 + 149,
    });
    store.writes.nodeHeartbeat("node-a", T0 + 149);

    await waitFor("degraded health", () => store.health().degraded);
    const during = store.health();
    expect(during).toMatchObject({ ok: false, degraded: true, dropped: 0 });
    expect(during.buffered).toBeGreaterThanOrEqual(100);
    expect(during.message).toMatch(/degraded: the database is unreachable/);
    // Direct calls fail rather than hang, and the daemons' writes above never blocked.
    await expect(
      store.appendEvents([{ id: "e", type: "T", payload: null as never, source: "s", time: T0 }]),
    ).rejects.toThrow();
    expect(await logCount()).toBe(50);

    proxy.restore();
    await waitFor("the buffers to drain", () => store.health().ok && store.health().buffered === 0);
    const rows = await direct.queryLogs({ limit: 10_000, order: "asc" });
    expect(rows.map((r) => r.message)).toEqual(Array.from({ length: 150 }, (_, i) => `m${i}`));
    expect(await direct.loadDaemons("node-a")).toMatchObject([
      { name: "auto_sync", restartCount: 1, heartbeatDetails: { during: "cut" } },
    ]);
    expect((await direct.listNodes())[0]?.lastHeartbeatAt).toBe(T0 + 149);
    expect(store.health()).toMatchObject({ ok: true, degraded: false, dropped: 0 });
  });

  it("keeps at most maxBuffered rows during a long cut, counting and reporting the rest", async () => {
    const drops: number[] = [];
    store = throughProxy({
      writes: { maxBuffered: 30, maxBatch: 10, onDrop: (d) => drops.push(d.count) },
    });
    await store.open();
    proxy.cut();
    for (let i = 0; i < 50; i++)
      store.writes.log({ time: T0 + i, daemon: "a", level: "info", message: `m${i}` });
    await waitFor("degraded health", () => store.health().degraded);
    expect(store.health()).toMatchObject({ buffered: 30, dropped: 20 });
    expect(store.health().message).toContain("20 rows dropped");
    expect(drops.reduce((a, b) => a + b, 0)).toBe(20);
    proxy.restore();
    await waitFor("the buffers to drain", () => store.health().buffered === 0);
    const rows = await direct.queryLogs({ limit: 100, order: "asc" });
    expect(rows.map((r) => r.message)).toEqual(Array.from({ length: 30 }, (_, i) => `m${20 + i}`));
  });

  it("re-establishes LISTEN after the cut and wakes listeners that may have missed a notification", async () => {
    store = throughProxy();
    await store.open();
    let wakes = 0;
    await store.listen("events", () => wakes++);
    await direct.appendEvents([
      { id: "e1", type: "T", payload: null as never, source: "s", time: T0 },
    ]);
    await waitFor("the first wake-up", () => wakes >= 1);

    proxy.cut();
    await direct.appendEvents([
      { id: "e2", type: "T", payload: null as never, source: "s", time: T0 },
    ]);
    const beforeRestore = wakes;
    proxy.restore();
    await waitFor("a wake-up after reconnecting", () => wakes > beforeRestore);
    const afterReconnect = wakes;
    // LISTEN is live again: a new event wakes it.
    await waitFor("a wake-up from a new event", async () => {
      await direct.appendEvents([
        {
          id: `e-${Date.now()}-${Math.random()}`,
          type: "T",
          payload: null as never,
          source: "s",
          time: T0,
        },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return wakes > afterReconnect;
    });
  });

  it("refuses to start when the database is unreachable, saying so in one line", async () => {
    proxy.cut();
    store = throughProxy();
    const error = await store.open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(
      /^store postgres:\/\/postgres@127\.0\.0\.1:\d+\/test: cannot connect/,
    );
  });

  it("notices a connection that hangs within 10 s, reports it degraded, and recovers by itself", async () => {
    // The default timeouts, as a manager gets them.
    store = throughProxy({ connectTimeoutMs: STORE_DEFAULTS.connectTimeout });
    await store.open();
    await store.appendEvents([event(1)]);
    proxy.hang();
    const hungAt = Date.now();
    store.writes.log({ time: T0, daemon: "d", level: "info", message: "during the hang" });
    await waitFor("degraded health", () => store.health().degraded, 10_000);
    expect(Date.now() - hungAt).toBeLessThan(10_000);
    expect(store.health().message).toMatch(/degraded: the database is unreachable/);
    proxy.restore();
    await waitFor("recovery", () => store.health().ok);
    // At least once: the statement the hang held back may still reach the server when the
    // partition heals (as TCP would deliver it), besides the retry.
    await waitFor("the log line", async () => (await direct.queryLogs({ limit: 10 })).length >= 1);
    const lines = await direct.queryLogs({ limit: 10 });
    expect(new Set(lines.map((l) => l.message))).toEqual(new Set(["during the hang"]));
    expect(store.health()).toMatchObject({ ok: true, degraded: false, buffered: 0, dropped: 0 });
  });

  it("keeps what does not fit in memory in the spool, refuses with StoreUnavailableError when the spool is full, and writes the rest in order", async () => {
    const eventBytes = JSON.stringify(event(1000)).length;
    store = throughProxy({
      writes: {
        outage: {
          maxBytes: 20 * eventBytes,
          spoolPath: join(dir, "spool-node-a.db"),
          spoolMaxBytes: 100 * eventBytes,
        },
      },
    });
    await store.open();
    proxy.cut();
    const accepted: number[] = [];
    let refusal: unknown;
    for (let n = 1000; n < 1200 && !refusal; n++) {
      try {
        store.writes.event(event(n));
        accepted.push(n);
      } catch (error) {
        refusal = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect((refusal as Error).message).toContain(join(dir, "spool-node-a.db"));
    expect(accepted.length).toBeGreaterThanOrEqual(110);
    const during = store.health();
    expect(during).toMatchObject({ degraded: true, refused: 1, dropped: 0 });
    expect(during.spooled).toBeGreaterThan(0);
    expect(during.bytesBuffered).toBeLessThanOrEqual(20 * eventBytes);

    proxy.restore();
    await waitFor("the buffers to drain", () => store.health().buffered === 0);
    const stored = await direct.readEvents({ afterSeq: 0, limit: 10_000 });
    expect(stored.map((e) => e.id)).toEqual(accepted.map((n) => `e${n}`));
    expect(store.health()).toMatchObject({ ok: true, spooled: 0, spoolBytes: 0 });
  });

  it("leaves what it could not write in the spool at close, and the next open writes it first", async () => {
    const options = {
      writes: { outage: { maxBytes: 1_000_000, spoolPath: join(dir, "spool-node-a.db") } },
    };
    store = throughProxy(options);
    await store.open();
    proxy.cut();
    for (let n = 1; n <= 30; n++) store.writes.event(event(n));
    await store.close();
    proxy.restore();

    store = throughProxy(options);
    await store.open();
    store.writes.event(event(31));
    await waitFor("the spool to be written", () => store.health().buffered === 0);
    const stored = await direct.readEvents({ afterSeq: 0, limit: 100 });
    expect(stored.map((e) => e.id)).toEqual(Array.from({ length: 31 }, (_, i) => `e${i + 1}`));
  });
});
