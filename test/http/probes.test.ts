import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { createServed, gate, getJson, ticker, until } from "./helpers.js";

describe("GET /health and GET /ready through a whole lifecycle", () => {
  it("answers while daemons start, run, fail and stop, with the reasons", async () => {
    const setupGate = gate();
    const cleanupGate = gate();
    let failNow = false;
    const slow = defineDaemon({
      name: "slow_start",
      interval: 50,
      setup: () => setupGate.promise,
      cycle() {},
      cleanup: () => cleanupGate.promise,
    });
    const flaky = defineDaemon({
      name: "flaky",
      interval: 50,
      maxConsecutiveErrors: 0,
      restart: { maxRestarts: 0 },
      cycle() {
        if (failNow) throw new Error("disk full");
      },
    });
    const manager = createServed([slow, flaky]);
    expect(manager.url).toBeUndefined();

    // Starting: the server is up before the daemons; not ready yet, but alive.
    const started = manager.start();
    const url = await until(() => manager.url);
    await until(() => manager.status("slow_start").state === "starting");
    const starting = await getJson(`${url}/ready`);
    expect(starting.status).toBe(503);
    expect(starting.body.ok).toBe(false);
    expect(starting.body.reasons).toContain("slow_start: starting");
    expect((await getJson(`${url}/health`)).status).toBe(200);

    // Running: ready and alive.
    setupGate.open();
    await started;
    expect(await getJson(`${url}/ready`)).toMatchObject({
      status: 200,
      body: { ok: true, reasons: [] },
    });
    expect(await getJson(`${url}/health`)).toMatchObject({
      status: 200,
      body: { ok: true, reasons: [] },
    });

    // A daemon fails: liveness says so, with the reason.
    failNow = true;
    await until(() => manager.status("flaky").state === "failed");
    const failing = await getJson(`${url}/health`);
    expect(failing.status).toBe(503);
    expect(failing.body.reasons).toEqual([
      "flaky: failed (1 consecutive cycle errors (maxConsecutiveErrors 0); last: disk full)",
    ]);
    expect((await getJson(`${url}/ready`)).body.reasons).toEqual(failing.body.reasons);

    // Shutdown: not ready from the first moment, while the daemons are still stopping.
    const stopping = manager.shutdown();
    const during = await getJson(`${url}/ready`);
    expect(during.status).toBe(503);
    expect(during.body.reasons[0]).toBe("shutting down");
    expect(manager.status("slow_start").state).toBe("stopping");
    cleanupGate.open();
    const report = await stopping;
    expect(report.unstopped).toEqual([]);
    // The server closed with the manager.
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it("answers JSON with its content type", async () => {
    const manager = createServed([ticker("alpha")]);
    await manager.start();
    const response = await fetch(`${manager.url}/health`);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ ok: true, reasons: [] });
  });
});
