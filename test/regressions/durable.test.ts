import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { inspectManager } from "../../src/manager/internal-access.js";

declare module "ringmaster" {
  interface Events {
    REVIEW_A: { n: number };
    REVIEW_B: { n: number };
    REVIEW_C: { n: number };
  }
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sqliteUrl = () => {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-review-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return `sqlite:${join(dir, "state.db")}`;
};
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms).unref(),
    ),
  ]);

describe("regressions: durable delivery", () => {
  it("shutdown() resolves even while the store refuses cursor writes", async () => {
    const url = sqliteUrl();
    const seen: number[] = [];
    const x = defineDaemon({
      name: "x",
      subscribes: ["REVIEW_A"],
      setup(ctx) {
        ctx.events.subscribe("REVIEW_A", (e) => void seen.push(e.payload.n));
      },
    });
    const m = createManager(defineConfig({ daemons: [x], store: url }), { logger: false });
    await m.start();
    const store = inspectManager(m).store!;
    store.setCursor = () => Promise.reject(new Error("connection lost"));
    m.events.publish("REVIEW_A", { n: 1 });
    await until("delivery", () => seen.length === 1);
    const shutdown = m.shutdown({ timeout: 1_000 });
    await within(shutdown, 8_000, "shutdown({ timeout: 1000 })");
  }, 15_000);

  it("a live event of an undeclared type never moves the durable cursor past an unhandled stored event", async () => {
    const url = sqliteUrl();
    const got: string[] = [];
    let hang = true;
    const x = (name: string) =>
      defineDaemon({
        name: "x",
        subscribes: ["REVIEW_A"],
        stopTimeout: 200,
        setup(ctx) {
          ctx.events.subscribe("REVIEW_A", async (e) => {
            if (hang) await new Promise(() => {}); // "crash" while handling A
            got.push(`${name}:A${e.payload.n}`);
          });
          ctx.events.subscribe("REVIEW_B", (e) => void got.push(`${name}:B${e.payload.n}`));
        },
      });
    const m1 = createManager(defineConfig({ daemons: [x("m1")], store: url }), { logger: false });
    await m1.start();
    m1.events.publish("REVIEW_A", { n: 1 }); // store seq 1
    m1.events.publish("REVIEW_B", { n: 1 }); // bus seq 2, delivered live at once
    await until("B handled", () => got.includes("m1:B1"));
    await new Promise((r) => setTimeout(r, 200));
    const cursor = await inspectManager(m1).store!.getCursor("x");
    await m1.shutdown({ timeout: 1_000 });
    hang = false;
    const m2 = createManager(defineConfig({ daemons: [x("m2")], store: url }), { logger: false });
    cleanups.push(() => m2.shutdown());
    await m2.start();
    await new Promise((r) => setTimeout(r, 2_500));
    // A1 was never handled; at-least-once says it comes again after the restart.
    expect({ cursor, got }).toEqual({ cursor: 0, got: ["m1:B1", "m2:A1"] });
  }, 20_000);

  it("a declared type without a handler does not stall the subscriber's other types, in memory or durable", async () => {
    const run = async (store: string) => {
      const got: number[] = [];
      const x = defineDaemon({
        name: "x",
        subscribes: ["REVIEW_A", "REVIEW_C"],
        setup(ctx) {
          // handles C now; A only later (or in a future version)
          ctx.events.subscribe("REVIEW_C", (e) => void got.push(e.payload.n));
        },
      });
      const m = createManager(
        defineConfig({ daemons: [x], store, events: { mailboxCapacity: 10 } }),
        { logger: false },
      );
      await m.start();
      for (let i = 0; i < 6; i++) m.events.publish("REVIEW_A", { n: i });
      for (let i = 0; i < 3; i++) m.events.publish("REVIEW_C", { n: i });
      await new Promise((r) => setTimeout(r, 2_500));
      await m.shutdown();
      return got;
    };
    const memory = await run("memory:");
    const durable = await run(sqliteUrl());
    expect(memory).toEqual([0, 1, 2]);
    expect(durable).toEqual([0, 1, 2]);
  }, 20_000);

  it("a declared type handled only by the next version of the daemon still gets its events after a restart", async () => {
    const url = sqliteUrl();
    const got: string[] = [];
    const x = (attachA: boolean) =>
      defineDaemon({
        name: "x",
        subscribes: ["REVIEW_A", "REVIEW_C"],
        setup(ctx) {
          ctx.events.subscribe("REVIEW_C", (e) => void got.push(`C${e.payload.n}`));
          if (attachA) ctx.events.subscribe("REVIEW_A", (e) => void got.push(`A${e.payload.n}`));
        },
      });
    const m1 = createManager(defineConfig({ daemons: [x(false)], store: url }), { logger: false });
    await m1.start();
    m1.events.publish("REVIEW_A", { n: 1 });
    m1.events.publish("REVIEW_C", { n: 1 });
    await until("C handled", () => got.includes("C1"));
    await m1.shutdown();
    const m2 = createManager(defineConfig({ daemons: [x(true)], store: url }), { logger: false });
    cleanups.push(() => m2.shutdown());
    await m2.start();
    await new Promise((r) => setTimeout(r, 2_000));
    // nothing lost: A1 arrives once its handler exists; C1, handled after A1 was queued, comes
    // again (delivery is at least once)
    expect(got).toEqual(["C1", "A1", "C1"]);
  }, 20_000);
});

describe("regressions: lifecycle with the store and HTTP", () => {
  it("shutdown() while start() is still opening the store closes it, starts no server, and start() rejects", async () => {
    const url = sqliteUrl();
    const m = createManager(
      defineConfig({ daemons: [defineDaemon({ name: "a" })], store: url, http: { port: 0 } }),
      { logger: false },
    );
    const starting = m.start();
    const report = await m.shutdown();
    expect(report.unstopped).toEqual([]);
    const outcome = await starting.then(
      (r) => ({ ok: true, r }),
      (e: Error) => ({ ok: false, e: e.message }),
    );
    const leftOpen = { url: m.url, store: inspectManager(m).store?.health().ok ?? false };
    cleanups.push(async () => {
      // cannot call shutdown again (it returns the old promise): close by hand
      await inspectManager(m).jobs?.stop(0);
      await inspectManager(m).store?.close();
    });
    const active = process.getActiveResourcesInfo();
    expect({
      outcome: outcome.ok ? "resolved" : outcome,
      leftOpen,
      tcp: active.filter((r) => r.includes("TCP")).length,
    }).toEqual({
      outcome: { ok: false, e: "cannot start: the manager is shutting down" },
      leftOpen: { url: undefined, store: false },
      tcp: 0,
    });
  }, 20_000);
});
