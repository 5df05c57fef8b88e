import type { Browser } from "playwright-core";
import {
  createManager,
  type DaemonStatus,
  defineConfig,
  defineDaemon,
  type Manager,
} from "ringmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idleProcess, idleWorker } from "../isolation/fixtures/fleet.js";
import { ensureDashboardBuilt, launchBrowser, screenshot, skipReason, until } from "./helpers.js";

const skipped = skipReason();

/** A program with a child of its own: its group has two processes. */
const program = defineDaemon({
  name: "program",
  command: ["sh", "-c", "sleep 1000 & wait"],
  killTimeout: 300,
});
const inline = defineDaemon({ name: "inline", interval: 50, cycle() {} });

const sampled = (s: DaemonStatus) =>
  s.isolation.cpuPercent !== undefined &&
  (s.isolation.kind === "worker" || s.isolation.rssBytes !== undefined);

describe.skipIf(skipped !== undefined)(
  `isolated daemons in the dashboard${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    let browser: Browser;
    let manager: Manager;

    beforeAll(async () => {
      ensureDashboardBuilt();
      browser = await launchBrowser();
      manager = createManager(
        defineConfig({
          daemons: [idleProcess, idleWorker, program, inline],
          store: "memory:",
          http: { host: "127.0.0.1", port: 0 },
        }),
        { logger: false },
      );
      await manager.start();
      await until(
        () => ["idle_process", "idle_worker", "program"].every((n) => sampled(manager.status(n))),
        "the first resource samples",
      );
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await manager?.shutdown({ timeout: 5_000 });
    });

    it("marks worker, process and command daemons in the list, and shows where and what they use on their page", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      try {
        await page.goto(manager.url as string);
        const mark = (name: string) => page.locator(`tr[data-daemon="${name}"] [data-isolation]`);
        await mark("program").waitFor();
        const proc = manager.status("idle_process").isolation;
        const thread = manager.status("idle_worker").isolation;
        const command = manager.status("program").isolation;

        expect(await mark("idle_process").textContent()).toBe("process");
        expect(await mark("idle_process").getAttribute("title")).toMatch(
          new RegExp(`^process pid ${proc.pid} · [\\d.]+ MB RSS · [\\d.]+ MB heap · \\d+% CPU$`),
        );
        expect(await mark("idle_worker").textContent()).toBe("worker");
        expect(await mark("idle_worker").getAttribute("title")).toMatch(
          new RegExp(`^worker thread ${thread.threadId} · [\\d.]+ MB heap · \\d+% busy$`),
        );
        expect(await mark("program").textContent()).toBe("command");
        expect(await mark("program").getAttribute("title")).toMatch(
          new RegExp(`^command pid ${command.pid} · 2 processes · [\\d.]+ MB RSS · \\d+% CPU$`),
        );
        expect(await mark("inline").count()).toBe(0);
        await screenshot(page, "isolation-list");

        await page.goto(`${manager.url}#/daemon/program`);
        const facts = page.locator('[data-testid="detail-isolation"]');
        await facts.waitFor();
        expect(await facts.getAttribute("data-isolation")).toBe("command");
        expect(await facts.textContent()).toMatch(
          new RegExp(`^command pid ${command.pid} · 2 processes · [\\d.]+ MB RSS · \\d+% CPU$`),
        );
        await screenshot(page, "isolation-command-page");

        await page.goto(`${manager.url}#/daemon/idle_worker`);
        await until(
          async () => (await facts.getAttribute("data-isolation")) === "worker",
          "the worker's page",
        );
        expect(await facts.textContent()).toMatch(
          new RegExp(`^worker thread ${thread.threadId} · [\\d.]+ MB heap · \\d+% busy$`),
        );

        await page.goto(`${manager.url}#/daemon/inline`);
        await until(
          async () => (await facts.getAttribute("data-isolation")) === "inline",
          "the inline daemon's page",
        );
        expect(await facts.textContent()).toBe("the manager's event loop (inline)");
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  },
);
