import type { Browser } from "playwright-core";
import { createManager, defineConfig, defineDaemon, type Manager } from "ringmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import {
  PG_HOST,
  PG_PORT,
  postgresAvailable,
  randomSchema,
  testDatabase,
} from "../store/helpers/databases.js";
import { ensureDashboardBuilt, launchBrowser, screenshot, skipReason, until } from "./helpers.js";

declare module "ringmaster" {
  interface Events {
    BANNER_TICK: { n: number };
  }
}

const skipped = skipReason() ?? ((await postgresAvailable()) ? undefined : "no PostgreSQL");

/**
 * The dashboard's store banner (DESIGN.md §6): a manager on PostgreSQL through a TCP proxy, a
 * daemon publishing durable events every 20 ms; cutting the proxy brings the banner (role
 * "alert": unreachable since when, writes buffered and their bytes), restoring it takes the
 * banner away.
 */
describe.skipIf(skipped !== undefined)(
  `the store banner in Chromium${skipped ? ` (skipped: ${skipped})` : ""}`,
  { timeout: 90_000 },
  () => {
    let browser: Browser;
    let proxy: TcpProxy;
    let manager: Manager;
    const schema = randomSchema();

    beforeAll(async () => {
      ensureDashboardBuilt();
      browser = await launchBrowser();
      proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
      let n = 0;
      manager = createManager(
        defineConfig({
          store: `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`,
          http: { host: "127.0.0.1", port: 0 },
          daemons: [
            defineDaemon({
              name: "ticker",
              emits: ["BANNER_TICK"],
              interval: 20,
              cycle(ctx) {
                ctx.events.publish("BANNER_TICK", { n: n++ });
              },
            }),
            defineDaemon({
              name: "listener",
              subscribes: ["BANNER_TICK"],
              setup(ctx) {
                ctx.events.subscribe("BANNER_TICK", () => {});
              },
            }),
          ],
        }),
        { logger: false },
      );
      await manager.start();
    }, 60_000);

    afterAll(async () => {
      proxy?.restore();
      await manager?.shutdown();
      await proxy?.close();
      await browser?.close();
      await testDatabase("postgres")
        .exec(`drop schema if exists "${schema}" cascade`)
        .catch(() => {});
    });

    it("appears while PostgreSQL is cut off, says since when and what is buffered, and goes on recovery", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(manager.url as string);
      await page.locator('tr[data-daemon="ticker"]').waitFor();
      const banner = page.locator(".store-banner");
      expect(await banner.count()).toBe(0);

      proxy.cut();
      const cutAt = Date.now();
      const alert = page.getByRole("alert").filter({ hasText: "The store is unreachable" });
      // The page polls /health every 5 s.
      await alert.waitFor({ timeout: 15_000 });
      const text = (await alert.textContent()) ?? "";
      expect(text).toMatch(/The store is unreachable since \S+/);
      expect(text).toMatch(/ago\)|just now\)/);
      expect(text).toMatch(/Daemons keep running; writes are buffered/);
      expect(text).toMatch(/[\d,]+ writes buffered \([\d.]+ (B|KB|MB) in memory/);
      const since = (await fetch(`${manager.url}/health`).then((r) => r.json())) as {
        store?: { since: number | null; buffered: number };
      };
      expect(since.store?.since).toBeGreaterThanOrEqual(cutAt - 1000);
      expect(since.store?.buffered).toBeGreaterThan(0);
      // More waits as the ticker keeps publishing: the count grows on the next probe.
      const count = () =>
        alert
          .textContent()
          .then((t) => Number((t ?? "").match(/([\d,]+) writes buffered/)?.[1]?.replace(/,/g, "")));
      const first = await count();
      await until(async () => (await count()) > first, "the buffered count growing", 15_000);
      await screenshot(page, "store-banner-degraded");

      proxy.restore();
      const restoredAt = Date.now();
      await banner.waitFor({ state: "detached", timeout: 20_000 });
      const goneMs = Date.now() - restoredAt;
      console.log(`store banner gone ${goneMs} ms after the proxy was restored`);
      expect(manager.status("ticker").state).toBe("running");
      expect(errors).toEqual([]);
      await context.close();
    });
  },
);
