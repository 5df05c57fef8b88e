import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { createManager, defineConfig, defineDaemon, type Manager } from "ringmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST, nodeCluster } from "../cluster/helpers/node-process.js";
import { ensureDashboardBuilt, launchBrowser, screenshot, skipReason, until } from "./helpers.js";

const skipped = skipReason();

// A cluster of two: node-b a real process (the cluster tests' manager node, holding cluster
// daemon "a" first), node-a a manager of this process serving the dashboard. Both on one SQLite
// file, with the cluster tests' short timings.
describe.skipIf(skipped !== undefined)(
  `the dashboard's Nodes view in Chromium${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-nodes-view-"));
    const store = `sqlite:${join(dir, "state.db")}`;
    const processes = nodeCluster({
      STORE_URL: store,
      DAEMONS: "a",
      CYCLES_FILE: join(dir, "cycles.txt"),
    });
    let browser: Browser;
    let manager: Manager;

    beforeAll(async () => {
      ensureDashboardBuilt();
      browser = await launchBrowser();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await manager?.shutdown({ timeout: 2_000 });
      await processes.stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    const row = (page: Page, id: string) => page.locator(`tr[data-node="${id}"]`);

    it("lists every node with its state and what it holds; a killed node shows lost and its lease moves", async () => {
      const b = await processes.spawn("node-b", {});
      const a = defineDaemon({ name: "a", scope: "cluster", interval: 20, cycle() {} });
      const local = defineDaemon({ name: "local", interval: 20, cycle() {} });
      manager = createManager(
        defineConfig({
          daemons: [a, local],
          store,
          storePollInterval: "50ms",
          http: { host: "127.0.0.1", port: 0 },
          cluster: FAST,
        }),
        { logger: false, node: { id: "node-a" } },
      );
      await manager.start();
      expect(manager.status("a").state).toBe("standby");

      const page = await (
        await browser.newContext({ viewport: { width: 1280, height: 800 } })
      ).newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${manager.url}/#/nodes`);
      await page.getByRole("link", { name: "Nodes" }).waitFor();
      expect(await page.getByRole("link", { name: "Nodes" }).getAttribute("aria-current")).toBe(
        "page",
      );

      // Both nodes, live; node-b holds "a" with token 1, node-a (this one) holds nothing.
      await row(page, "node-b").waitFor();
      expect(
        await page
          .locator("tr[data-node]")
          .evaluateAll((rows) =>
            rows.map((r) => [r.getAttribute("data-node"), r.getAttribute("data-node-state")]),
          ),
      ).toEqual([
        ["node-b", "live"],
        ["node-a", "live"],
      ]);
      await until(
        async () =>
          (await row(page, "node-b").locator("[data-holds]").getAttribute("data-holds")) === "a",
        "node-b holds a",
      );
      expect(await row(page, "node-b").locator("[data-holds]").textContent()).toBe("a #1");
      expect(await row(page, "node-a").textContent()).toContain("this node");
      expect(await row(page, "node-b").textContent()).toContain(String(b.child.pid));
      const lease = page.locator('tr[data-lease="a"]');
      expect(await lease.getAttribute("data-holder")).toBe("node-b");
      expect(await lease.textContent()).toContain("#1");
      await screenshot(page, "nodes-view");

      // kill -9 node-b: the page, polling, marks it lost and shows node-a holding "a" (token 2).
      b.kill("SIGKILL");
      await b.exited;
      await until(
        async () => (await lease.getAttribute("data-holder")) === "node-a",
        "the lease of a on node-a",
        5_000,
      );
      expect(await lease.textContent()).toContain("#2");
      await until(
        async () => (await row(page, "node-b").getAttribute("data-node-state")) === "lost",
        "node-b marked lost",
        5_000,
      );
      expect(await page.locator("[data-lost-count]").textContent()).toBe("1 lost");
      expect(await row(page, "node-b").locator("[data-holds]").textContent()).toBe("—");
      expect(manager.status("a").state).toBe("running");
      await screenshot(page, "nodes-view-lost");
      expect(errors).toEqual([]);
    }, 40_000);
  },
);
