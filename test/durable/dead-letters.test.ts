import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";
import { until } from "../helpers/until.js";

declare module "ringmaster" {
  interface Events {
    DL_TEST: { n: number };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A publisher of one DL_TEST event and a subscriber that fails (first run) or records it. */
function fleet(fails: boolean, handled: number[]) {
  return [
    defineDaemon({
      name: "publisher",
      emits: ["DL_TEST"],
      setup(ctx) {
        if (fails) ctx.events.publish("DL_TEST", { n: 7 });
      },
    }),
    defineDaemon({
      name: "consumer",
      subscribes: ["DL_TEST"],
      setup(ctx) {
        ctx.events.subscribe("DL_TEST", (event) => {
          if (fails) throw new Error("not today");
          handled.push(event.payload.n);
        });
      },
    }),
  ];
}

describe("dead letters across a restart", () => {
  it("are listed and retried over HTTP by the next process, and removed from the store once handled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-dl-"));
    dirs.push(dir);
    const store = `sqlite:${join(dir, "state.db")}`;
    const http = { host: "127.0.0.1", port: 0 };
    const config = (fails: boolean, handled: number[]) =>
      defineConfig({
        daemons: fleet(fails, handled),
        store,
        http,
        events: { retryDelay: 10 },
      });

    const first = createManager(config(true, []), { logger: false });
    await first.start();
    const base1 = first.url as string;
    await until("the dead letter", async () => {
      const letters = (await (await fetch(`${base1}/api/dead-letters`)).json()) as unknown[];
      return letters.length === 1;
    });
    await first.shutdown();

    const handled: number[] = [];
    const second = createManager(config(false, handled), { logger: false });
    await second.start();
    const base = second.url as string;
    const letters = (await (await fetch(`${base}/api/dead-letters`)).json()) as {
      id: string;
      subscriber: string;
      event: { payload: { n: number } };
    }[];
    expect(letters).toMatchObject([{ subscriber: "consumer", event: { payload: { n: 7 } } }]);
    const id = letters[0]?.id as string;

    const retry = await fetch(`${base}/api/dead-letters/${id}/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(retry.status).toBe(200);
    await until("the retried event handled", () => handled.length === 1);
    expect(handled).toEqual([7]);
    await until("the letter removed", async () => {
      const left = (await (await fetch(`${base}/api/dead-letters`)).json()) as unknown[];
      return left.length === 0;
    });
    const unknown = await fetch(`${base}/api/dead-letters/${id}/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    await second.shutdown();

    const direct = createStore(store);
    await direct.open();
    expect(await direct.listDeadLetters()).toEqual([]);
    await direct.close();
  });
});
