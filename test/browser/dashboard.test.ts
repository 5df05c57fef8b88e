import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createManager, type DaemonStatus, defineConfig, type Manager } from "ringmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLibraryWatcher } from "../../examples/media-library/library-watcher.js";
import { metadataGenerate } from "../../examples/media-library/metadata-generate.js";
import { trainingPipelineConfig } from "../../examples/training-pipeline/fleet.js";
import { seededRandom } from "../../examples/training-pipeline/random.js";
import {
  api,
  ensureDashboardBuilt,
  getJson,
  launchBrowser,
  screenshot,
  skipReason,
  until,
} from "./helpers.js";

const skipped = skipReason();
const VIEWPORT = { width: 1280, height: 800 };

/** The training-pipeline fleet on a free port, the way the tests of the API build it. */
async function startFleet(extraEnv: Record<string, string> = {}): Promise<Manager> {
  // cluster_monitor's random failures would make "what is running" a moving target here.
  const env = { RINGMASTER_CLUSTER_MONITOR_FAILURE_RATE: "0", ...extraEnv };
  const config = trainingPipelineConfig({
    random: seededRandom(7),
    store: "memory:",
    http: { host: "127.0.0.1", port: 0 },
  });
  const manager = createManager(config, { logger: false, env });
  await manager.start();
  return manager;
}

const row = (page: Page, name: string) => page.locator(`tr[data-daemon="${name}"]`);
const restartsOf = async (page: Page, name: string) =>
  Number(await row(page, name).locator('[data-testid="restarts"]').textContent());

describe.skipIf(skipped !== undefined)(
  `the dashboard in Chromium${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    let browser: Browser;
    const managers: Manager[] = [];
    const contexts: BrowserContext[] = [];

    /** A fresh page (own context: own sessionStorage) at 1280×800, unless told otherwise. */
    async function open(url: string, options: Parameters<Browser["newContext"]>[0] = {}) {
      const context = await browser.newContext({ viewport: VIEWPORT, ...options });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(url);
      return { page, errors };
    }

    beforeAll(async () => {
      ensureDashboardBuilt();
      browser = await launchBrowser();
    }, 60_000);

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await Promise.all(managers.map((m) => m.shutdown({ timeout: 2_000 })));
    });

    describe("against the training-pipeline fleet", () => {
      let manager: Manager;
      let url: string;
      let names: string[];

      beforeAll(async () => {
        manager = await startFleet();
        managers.push(manager);
        url = manager.url as string;
        names = (await getJson<DaemonStatus[]>(`${url}/api/daemons`)).map((d) => d.name);
      });

      it("lists every daemon with its state, and the counts and probes at the top", async () => {
        const { page, errors } = await open(url);
        await page.locator("tr[data-daemon]").first().waitFor();
        await until(
          async () => (await page.locator("tr[data-daemon]").count()) === names.length,
          "every daemon to be listed",
        );
        const listed = await page
          .locator("tr[data-daemon]")
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-daemon")));
        expect(listed).toEqual(names);
        expect(names).toHaveLength(27); // 26 + the Python selfplay_worker
        for (const name of names)
          expect(await row(page, name).getAttribute("data-state")).not.toBeNull();

        await until(
          async () =>
            (await page.locator('[data-count="running"] strong').textContent()) ===
            String(manager.status().filter((s) => s.state === "running").length),
          "the running count to match the manager",
        );
        await expect
          .poll(() => page.locator('[data-probe="liveness"]').textContent())
          .toContain("Liveness: live");
        await expect
          .poll(() => page.locator('[data-probe="readiness"]').textContent())
          .toContain("Readiness: ready");
        await expect.poll(() => page.locator(".connection").textContent()).toBe("live");
        // A paused daemon shows in its own colour; heartbeats and cycles land meanwhile, so the
        // picture (docs/dashboard.png comes from it) is a lived-in one.
        expect((await api(url, "/api/daemons/idle_resource/pause")).status).toBe(200);
        await expect
          .poll(() => row(page, "idle_resource").getAttribute("data-state"))
          .toBe("paused");
        await page.waitForTimeout(1_500);
        await screenshot(page, "daemons-1280x800");
        expect((await api(url, "/api/daemons/idle_resource/resume")).status).toBe(200);
        await expect
          .poll(() => row(page, "idle_resource").getAttribute("data-state"))
          .toBe("running");
        expect(errors).toEqual([]);
      });

      it("filters by category, state and text", async () => {
        const { page } = await open(url);
        await until(
          async () => (await page.locator("tr[data-daemon]").count()) === names.length,
          "every daemon to be listed",
        );
        const evaluation = manager.status().filter((s) => s.category === "evaluation");
        await page.getByLabel("Category").selectOption("evaluation");
        expect(await page.locator("tr[data-daemon]").count()).toBe(evaluation.length);
        await page.getByLabel("Category").selectOption("");
        await page.getByLabel("Search").fill("watchdog");
        const shown = await page
          .locator("tr[data-daemon]")
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-daemon")));
        expect(shown).toEqual(["daemon_watchdog", "cluster_watchdog"]);
        await page.getByLabel("Search").fill("");
        await page.getByLabel("State").selectOption("failed");
        expect(await page.locator("tr[data-daemon]").count()).toBe(
          manager.status().filter((s) => s.state === "failed").length,
        );
      });

      it("shows a daemon restarted through the API change state, without a reload", async () => {
        const { page } = await open(url);
        await page.evaluate("window.__sameDocument = true");
        const name = "auto_sync";
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
        const before = await restartsOf(page, name);

        expect((await api(url, `/api/daemons/${name}/stop`)).status).toBe(200);
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("stopped");
        expect(await row(page, name).locator(".state").textContent()).toBe("stopped");

        expect((await api(url, `/api/daemons/${name}/start`)).status).toBe(200);
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");

        expect((await api(url, `/api/daemons/${name}/restart`)).status).toBe(200);
        await expect.poll(() => restartsOf(page, name)).toBeGreaterThan(before);
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
        expect(await page.evaluate("window.__sameDocument")).toBe(true);
      });

      it("restarts a daemon with its Restart button, and the restart count rises", async () => {
        const { page } = await open(url);
        const name = "quality_monitor";
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
        const before = await restartsOf(page, name);
        const serverBefore = manager.status(name).restarts;
        await page.getByRole("button", { name: `Restart ${name}` }).click();
        await expect.poll(() => restartsOf(page, name)).toBe(before + 1);
        expect(manager.status(name).restarts).toBe(serverBefore + 1);
        await expect
          .poll(() => page.locator(".notice-ok").textContent())
          .toContain(`${name} restarted`);
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
      });

      it("draws the graph with one node per daemon, coloured by state; a node opens its daemon", async () => {
        const { page, errors } = await open(`${url}/#/graph`);
        await page.locator("svg.graph [data-node]").first().waitFor();
        const nodes = await page
          .locator("svg.graph [data-node]")
          .evaluateAll((all) => all.map((n) => n.getAttribute("data-node")));
        expect(nodes.sort()).toEqual([...names].sort());
        expect(new Set(nodes).size).toBe(names.length);
        // The page follows the stream within moments: compare until they agree.
        await expect
          .poll(
            async () => {
              const shown = await page.locator("svg.graph .node-running").count();
              const running = manager.status().filter((s) => s.state === "running").length;
              return shown === running
                ? "agree"
                : `page shows ${shown} running, manager ${running}`;
            },
            { timeout: 5_000 },
          )
          .toBe("agree");
        expect(await page.locator("svg.graph path.edge").count()).toBe(
          manager.status().reduce((n, s) => n + s.dependsOn.length, 0),
        );
        await screenshot(page, "graph-1280x800");

        await page.locator('[data-node="auto_sync"]').click();
        await expect.poll(() => page.locator("#daemon-title").textContent()).toContain("auto_sync");
        expect(page.url()).toContain("#/daemon/auto_sync");
        // The spec, the config with its sources, and the logs tailing live.
        await expect
          .poll(() => page.locator(".daemon-page").textContent())
          .toContain("NEW_GAMES_AVAILABLE");
        await expect.poll(() => page.locator("table.kv").textContent()).toContain("batchSize");
        const lines = page.locator(".logs .log");
        const atFirst = await lines.count();
        await expect.poll(() => lines.count(), { timeout: 10_000 }).toBeGreaterThan(atFirst);
        await screenshot(page, "daemon-auto_sync", true);
        expect(errors).toEqual([]);
      });

      it("works on a phone-sized screen and in dark mode", async () => {
        const phone = await open(url, {
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
        });
        await until(
          async () => (await phone.page.locator("tr[data-daemon]").count()) === names.length,
          "every daemon to be listed on a phone",
        );
        // Rows are cards: nothing scrolls sideways.
        const overflow = await phone.page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow).toBeLessThanOrEqual(0);
        await screenshot(phone.page, "daemons-phone");

        const dark = await open(url, { colorScheme: "dark" });
        await until(
          async () => (await dark.page.locator("tr[data-daemon]").count()) === names.length,
          "every daemon to be listed in dark mode",
        );
        await screenshot(dark.page, "daemons-dark");
        await dark.page.goto(`${url}/#/events`);
        await dark.page.locator("table.events tbody tr").first().waitFor();
        await screenshot(dark.page, "events-dark");
      });

      it("is keyboard reachable: Tab reaches the navigation and the row controls", async () => {
        const { page } = await open(url);
        await page.locator("tr[data-daemon]").first().waitFor();
        const focused: string[] = [];
        for (let i = 0; i < 14; i++) {
          await page.keyboard.press("Tab");
          focused.push(
            String(
              await page.evaluate(
                "(document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent || '').trim()",
              ),
            ),
          );
        }
        expect(focused).toContain("Graph");
        expect(focused).toContain("Jobs");
        expect(focused.some((f) => f === "event_router")).toBe(true);
        expect(focused.some((f) => /^Restart /.test(f))).toBe(true);
      });
    });

    describe("with a job whose progress advances", () => {
      let manager: Manager;
      let dir: string;

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), "ringmaster-dashboard-jobs-"));
        writeFileSync(join(dir, "first.mp4"), "a small first clip");
        writeFileSync(join(dir, "second.mkv"), "a small second clip");
        manager = createManager(
          defineConfig({
            daemons: [createLibraryWatcher()],
            jobs: [metadataGenerate],
            store: "memory:",
            http: { host: "127.0.0.1", port: 0 },
            // Ten progress steps over 4 s per job.
            daemonConfig: { library_watcher: { dir, probeMs: 4_000 } },
          }),
          { logger: false, env: {} },
        );
        await manager.start();
        managers.push(manager);
      });
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it("shows a running job's progress bar advancing, and the job's actions", async () => {
        const { page, errors } = await open(`${manager.url}/#/jobs`);
        const running = page.locator('li[data-status="running"]').first();
        await running.waitFor({ timeout: 10_000 });
        const id = await running.getAttribute("data-job");
        const bar = page.locator(`li[data-job="${id}"] [role="progressbar"]`);
        const first = Number(await bar.getAttribute("aria-valuenow"));
        await expect
          .poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 8_000 })
          .toBeGreaterThan(first);
        const width = await bar.locator(".bar").evaluate((el) => el.getAttribute("style"));
        expect(width).toMatch(/width: \d+%/);
        await screenshot(page, "jobs-progress");

        await page.locator(`li[data-job="${id}"]`).getByRole("button", { name: "Actions" }).click();
        await expect
          .poll(() => page.locator(`li[data-job="${id}"] .job-actions`).textContent())
          .toMatch(/launched by library_watcher — new file/);

        // It finishes on the page too, without a reload.
        await expect
          .poll(() => page.locator(`li[data-job="${id}"]`).getAttribute("data-status"), {
            timeout: 15_000,
          })
          .toBe("completed");
        expect(errors).toEqual([]);
      });
    });

    describe("with an API token", () => {
      let manager: Manager;

      beforeAll(async () => {
        manager = await startFleet({ RINGMASTER_API_TOKEN: "secret" });
        managers.push(manager);
      });

      it("asks for the token, shows a wrong token's refusal, then acts with the right one", async () => {
        const { page } = await open(manager.url as string);
        const name = "distillation";
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
        const before = await restartsOf(page, name);

        await page.getByRole("button", { name: `Restart ${name}` }).click();
        const dialog = page.getByRole("dialog");
        await dialog.waitFor();
        await expect
          .poll(() => dialog.getByTestId("refusal").textContent())
          .toContain("missing API token");

        await dialog.getByLabel("Token").fill("not-the-token");
        await dialog.getByRole("button", { name: "Use token" }).click();
        await expect
          .poll(() => dialog.getByTestId("refusal").textContent())
          .toContain("wrong API token");
        expect(await dialog.isVisible()).toBe(true);
        expect(manager.status(name).restarts).toBe(before);
        await screenshot(page, "token-refused");

        await dialog.getByLabel("Token").fill("secret");
        await dialog.getByRole("button", { name: "Use token" }).click();
        await dialog.waitFor({ state: "hidden" });
        await expect.poll(() => restartsOf(page, name)).toBe(before + 1);

        // Kept for the tab: the next action goes straight through.
        await page.getByRole("button", { name: `Restart ${name}` }).click();
        await expect.poll(() => restartsOf(page, name)).toBe(before + 2);
        expect(await dialog.isVisible()).toBe(false);
      });

      it("shows the refusal in the page when the operator gives up", async () => {
        const { page } = await open(manager.url as string);
        const name = "evaluation";
        await expect.poll(() => row(page, name).getAttribute("data-state")).toBe("running");
        // Stop asks first (the browser's confirm), naming the daemon.
        const asked = new Promise<string>((resolve) =>
          page.once("dialog", (confirm) => {
            resolve(confirm.message());
            void confirm.accept();
          }),
        );
        await page.getByRole("button", { name: `Stop ${name}` }).click();
        expect(await asked).toMatch(new RegExp(`^Stop ${name}\\?`));
        const dialog = page.getByRole("dialog");
        await dialog.waitFor();
        await dialog.getByRole("button", { name: "Cancel" }).click();
        await expect
          .poll(() => page.locator(".notice-error").textContent())
          .toContain(`stop ${name} refused: missing API token`);
        expect(manager.status(name).state).toBe("running");
      });
    });
  },
);
