import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getJson, serve } from "./helpers.js";

const patch = (url: string, body: unknown) =>
  getJson(url, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const syncer = () =>
  defineDaemon({
    name: "auto_sync",
    interval: 50,
    config: z.object({ batchSize: z.number().int().positive().default(100) }),
    cycle() {},
  });

describe("config changes through the API say what runs and what is pending", () => {
  it("PATCH 500 then PATCH null with no restart between: the daemon still runs with 100 and nothing is pending", async () => {
    const { url, manager } = await serve([syncer()]);
    const config = `${url}/api/daemons/auto_sync/config`;

    const first = await patch(config, { batchSize: 500 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      applied: false,
      appliesAt: "the next start of the daemon",
      current: { batchSize: 100 },
      next: { batchSize: 500 },
      changes: { batchSize: { running: 100, next: 500 } },
    });
    let detail = (await getJson(`${url}/api/daemons/auto_sync`)).body.config;
    expect(detail).toMatchObject({
      values: { batchSize: 100 },
      next: { batchSize: 500 },
      changes: { batchSize: { running: 100, next: 500 } },
    });

    const second = await patch(config, { batchSize: null });
    expect(second.body).toMatchObject({
      applied: true,
      current: { batchSize: 100 },
      next: { batchSize: 100 },
      changes: {},
    });
    detail = (await getJson(`${url}/api/daemons/auto_sync`)).body.config;
    expect(detail).toMatchObject({ values: { batchSize: 100 }, changes: {} });

    // A change that waits applies at the next start, and then runs.
    await patch(config, { batchSize: 250 });
    await manager.restartDaemon("auto_sync");
    detail = (await getJson(`${url}/api/daemons/auto_sync`)).body.config;
    expect(detail).toMatchObject({ values: { batchSize: 250 }, changes: {} });
  });
});
