import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import {
  PG_HOST,
  PG_PORT,
  PG_URL,
  postgresAvailable,
  randomSchema,
  testDatabase,
} from "../store/helpers/databases.js";

declare module "ringmaster" {
  interface Events {
    OUTAGE_TICK: { n: number };
  }
}

const available = await postgresAvailable();

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

describe.runIf(available)(
  "a PostgreSQL outage under a running manager",
  { timeout: 90_000 },
  () => {
    let proxy: TcpProxy | undefined;
    let schema: string | undefined;
    afterEach(async () => {
      proxy?.restore();
      await proxy?.close();
      if (schema)
        await testDatabase("postgres")
          .exec(`drop schema if exists "${schema}" cascade`)
          .catch(() => {});
    });

    it("a 10 s cut while publishing every 5 ms loses no event; the subscriber gets all, in order, once each", async () => {
      proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
      schema = randomSchema();
      const published: number[] = [];
      const handled: number[] = [];
      let publishing = true;
      const manager = createManager(
        defineConfig({
          store: `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`,
          daemons: [
            defineDaemon({
              name: "ticker",
              emits: ["OUTAGE_TICK"],
              interval: 5,
              cycle(ctx) {
                if (!publishing) return;
                const n = published.length;
                ctx.events.publish("OUTAGE_TICK", { n });
                published.push(n);
              },
            }),
            defineDaemon({
              name: "listener",
              subscribes: ["OUTAGE_TICK"],
              setup(ctx) {
                ctx.events.subscribe("OUTAGE_TICK", (event) => {
                  handled.push(event.payload.n);
                });
              },
            }),
          ],
        }),
        { logger: false },
      );
      await manager.start();
      await until("events flowing", () => handled.length >= 50);
      proxy.cut();
      const cutAt = Date.now();
      await until("the store degraded", () => manager.liveness().warnings !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 10_000 - (Date.now() - cutAt)));
      const duringCut = handled.length;
      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      publishing = false;
      await until("every event handled", () => handled.length >= published.length);
      // Delivered during the cut too (this node's own events), not only after it.
      expect(duringCut).toBeGreaterThan(1000);
      expect(handled).toEqual(published);
      expect(manager.status("ticker").state).toBe("running");
      await until("the store healthy", () => manager.liveness().warnings === undefined);
      await manager.shutdown();

      const direct = createStore(PG_URL, { schema });
      await direct.open();
      const stored = await direct.readEvents({ afterSeq: 0, limit: 100_000 });
      const order = stored.map((e) => (e.payload as { n: number }).n);
      const at = order.findIndex((n, i) => n !== published[i]);
      if (at >= 0)
        console.log(
          "DBG",
          at,
          order.slice(at - 3, at + 10),
          published.slice(at - 3, at + 10),
          stored.slice(at - 1, at + 2),
        );
      expect(order).toEqual(published);
      await direct.close();
    });
  },
);
