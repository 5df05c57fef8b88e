import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { DURABLE_DEFAULTS } from "../../src/events/durable.js";
import { createStore } from "../../src/store/open.js";
import { proxiedPostgres, until } from "../helpers/pg-outage.js";
import { PG_URL, postgresAvailable } from "../store/helpers/databases.js";

declare module "ringmaster" {
  interface Events {
    OUTAGE_TICK: { n: number };
  }
}

const available = await postgresAvailable();

/**
 * A manager on `url` whose `ticker` publishes OUTAGE_TICK { n } every 5 ms (n = 0, 1, 2 …) and
 * whose `listener` records each n it handles.
 */
function tickerFleet(url: string) {
  const published: number[] = [];
  const handled: number[] = [];
  let publishing = true;
  const manager = createManager(
    defineConfig({
      store: url,
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
  return {
    manager,
    published,
    handled,
    stopPublishing: () => {
      publishing = false;
    },
  };
}

describe.runIf(available)(
  "a PostgreSQL outage under a running manager",
  { timeout: 90_000 },
  () => {
    const postgres = proxiedPostgres();

    it("a 10 s cut while publishing every 5 ms loses no event; the subscriber gets all, in order, once each", async () => {
      const { proxy, schema, url } = await postgres.open();
      const fleet = tickerFleet(url);
      const { manager, published, handled } = fleet;
      await manager.start();
      await until("events flowing", () => handled.length >= 50);
      proxy.cut();
      const cutAt = Date.now();
      await until("the store degraded", () => manager.liveness().warnings !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 10_000 - (Date.now() - cutAt)));
      const duringCut = handled.length;
      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      fleet.stopPublishing();
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
      expect(order).toEqual(published);
      await direct.close();
    });

    it("local delivery stops at its limit in a long outage; the rest come from the store after, in order", async () => {
      const limit = DURABLE_DEFAULTS.localDeliveryLimit;
      DURABLE_DEFAULTS.localDeliveryLimit = 200;
      try {
        const { proxy, url } = await postgres.open();
        const fleet = tickerFleet(url);
        const { manager, published, handled } = fleet;
        await manager.start();
        await until("events flowing", () => handled.length >= 50);
        proxy.cut();
        await until("the store degraded", () => manager.liveness().warnings !== undefined);
        const atOutage = handled.length;
        // Well past the limit: ~150 events a second for 4 s.
        await new Promise((resolve) => setTimeout(resolve, 4_000));
        const duringCut = handled.length - atOutage;
        expect(published.length - atOutage).toBeGreaterThan(400);
        expect(duringCut).toBeGreaterThan(0);
        expect(duringCut).toBeLessThanOrEqual(200);
        proxy.restore();
        await new Promise((resolve) => setTimeout(resolve, 500));
        fleet.stopPublishing();
        await until("every event handled", () => handled.length >= published.length);
        expect(handled).toEqual(published);
        await manager.shutdown();
      } finally {
        DURABLE_DEFAULTS.localDeliveryLimit = limit;
      }
    });
  },
);
