import { describe, expect, it } from "vitest";
import type { JobsApi } from "../../src/http/seams.js";
import { defineJob } from "../../src/registry/define.js";
import { createStore } from "../../src/store/open.js";
import { service } from "./helpers.js";

describe("the job service as the HTTP server's jobs API", () => {
  it("is a JobsApi as it stands: list, get with actions, cancel with a conflict once finished, stats, on", async () => {
    const store = createStore("memory:");
    await store.open();
    const jobs = service(store, [defineJob({ type: "later", run: () => 1 })]);
    const api: JobsApi = jobs; // the wiring: pass the service as `jobs`
    const id = await jobs
      .forDaemon("d")
      .launch("later", {}, { reason: "x", runAt: Date.now() + 60_000 });
    const updates: string[] = [];
    const off = api.on?.((u) => updates.push(`${u.id}:${u.status}`));
    expect(await api.list({ status: "pending" })).toMatchObject([{ id, status: "pending" }]);
    expect(await api.cancel(id, "cancelled through the API")).toMatchObject({
      status: "cancelled",
    });
    expect(updates).toEqual([`${id}:cancelled`]);
    expect((await api.get(id))?.actions).toMatchObject([
      { action: "launched", daemon: "d" },
      { action: "cancelled", daemon: "api", reason: "cancelled through the API" },
    ]);
    await expect(api.cancel(id, "again")).rejects.toThrow(
      `cannot cancel job ${id}: it is cancelled`,
    );
    expect(await api.get("nope")).toBeUndefined();
    expect(await api.cancel("nope", "x")).toBeUndefined();
    off?.();
    await jobs.stop(0);
    await store.close();
  });
});
