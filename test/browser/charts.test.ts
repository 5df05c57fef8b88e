import type { Browser, Page } from "playwright-core";
import { createManager, defineConfig, defineDaemon, type Manager } from "ringmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryView } from "../../src/http/history.js";
import { ensureDashboardBuilt, launchBrowser, screenshot, skipReason } from "./helpers.js";

const skipped = skipReason();

/**
 * `n` samples a second apart ending now: a steady 5 events/s, a restart in the middle, and daemon
 * `ticker` running, then in backoff for 2 s, then running again.
 */
function history(n: number, now = Date.now()): HistoryView {
  const t = Array.from({ length: n }, (_, i) => now - (n - 1 - i) * 1_000);
  const from = t[0] as number;
  return {
    interval: 1_000,
    span: 3_600_000,
    t,
    fleet: {
      restarts: t.map((_, i) => (i === 0 ? null : i === Math.floor(n / 2) ? 1 : 0)),
      eventsPerSec: t.map((_, i) => (i === 0 ? null : 5 + (i % 3))),
      deadLetters: t.map(() => 0),
      jobsPerSec: { succeeded: t.map((_, i) => (i === 0 ? null : 0.5)), failed: t.map(() => 0) },
    },
    daemons: {
      ticker: {
        cycleMs: t.map((_, i) => 10 + i),
        errors: t.map((_, i) => (i === Math.floor(n / 2) ? 1 : 0)),
        states: [
          { at: from, state: "running" },
          { at: from + 2_000, state: "backoff" },
          { at: from + 4_000, state: "running" },
        ],
      },
    },
  };
}

/** How many pixels of the chart's canvas are painted: uPlot draws axes, grid and lines there. */
const paintedPixels = (page: Page, chart: string) =>
  page.locator(`figure[data-chart="${chart}"] canvas`).evaluate((element) => {
    const canvas = element as unknown as {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      } | null;
    };
    const ctx = canvas.getContext("2d");
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted++;
    return painted;
  });

describe.skipIf(skipped !== undefined)(
  `the dashboard's charts in Chromium${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    let browser: Browser;
    let manager: Manager;

    beforeAll(async () => {
      ensureDashboardBuilt();
      browser = await launchBrowser();
      const ticker = defineDaemon({ name: "ticker", interval: 200, cycle() {} });
      manager = createManager(
        defineConfig({ daemons: [ticker], store: "memory:", http: { host: "127.0.0.1", port: 0 } }),
        { logger: false },
      );
      await manager.start();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await manager?.shutdown({ timeout: 2_000 });
    });

    /** A page whose `/api/history` answers with `samples()` samples (the rest is the real server). */
    async function open(path: string, samples: () => number) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.route("**/api/history*", (route) =>
        route.fulfill({ json: history(samples()), headers: { "cache-control": "no-store" } }),
      );
      await page.goto(`${manager.url}/${path}`);
      return { page, errors };
    }

    it("the fleet charts draw the last hour and update as samples arrive", async () => {
      let n = 20;
      const { page, errors } = await open("", () => n);
      for (const title of ["Restarts", "Events/s", "Dead letters", "Jobs/s by status"])
        await page.locator(`figure[data-chart="${title}"] canvas`).waitFor();
      await expect
        .poll(() => page.locator('figure[data-chart="Events/s"]').getAttribute("data-samples"))
        .toBe("20");
      const before = await paintedPixels(page, "Events/s");
      expect(before).toBeGreaterThan(500);
      // The jobs chart has a legend entry per status.
      expect(
        await page
          .locator('figure[data-chart="Jobs/s by status"] [data-series]')
          .evaluateAll((keys) => keys.map((k) => k.getAttribute("data-series"))),
      ).toEqual(["succeeded", "failed"]);

      n = 40;
      await expect
        .poll(() => page.locator('figure[data-chart="Events/s"]').getAttribute("data-samples"), {
          timeout: 5_000,
        })
        .toBe("40");
      await expect.poll(() => paintedPixels(page, "Events/s")).not.toBe(before);
      await screenshot(page, "charts-fleet");
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it("a daemon's page shows its state timeline, cycle duration and errors", async () => {
      const { page, errors } = await open("#/daemon/ticker", () => 30);
      const bands = page.locator('figure[data-chart="states"] .band');
      await bands.first().waitFor();
      expect(
        await bands.evaluateAll((els) => els.map((e) => e.getAttribute("data-state"))),
      ).toEqual(["running", "backoff", "running"]);
      const backoffWidth = await bands.nth(1).evaluate((e) => Number.parseFloat(e.style.width));
      expect(backoffWidth).toBeGreaterThan(3);
      expect(backoffWidth).toBeLessThan(15);
      for (const title of ["Cycle duration", "Cycle errors"])
        expect(await paintedPixels(page, title)).toBeGreaterThan(500);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it("without history on the server, the page says so instead of drawing nothing", async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route("**/api/history*", (route) =>
        route.fulfill({ status: 404, json: { statusCode: 404, message: "not found" } }),
      );
      await page.goto(`${manager.url}/`);
      await expect
        .poll(() => page.locator(".charts-note").first().textContent())
        .toBe("No history: this manager keeps no history.");
      await context.close();
    });
  },
);
