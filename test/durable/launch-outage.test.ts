import { createManager, defineConfig, defineDaemon, defineJob } from "ringmaster";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";
import { proxiedPostgres, until } from "../helpers/pg-outage.js";
import { PG_URL, postgresAvailable } from "../store/helpers/databases.js";

const available = await postgresAvailable();

interface Health {
  ok: boolean;
  warnings?: string[];
}

/**
 * `ctx.jobs.launch` during a PostgreSQL outage (DESIGN.md §6): a daemon launching a job every
 * 100 ms (every fifth time three at once) through a proxy that is cut (hard close) or hung
 * (silent partition) for 6 s keeps
 * running on its first run, every id it got is stored exactly once after the outage, with its one
 * `launched` action, and runs; `/health` drops its warning soon after the database is back.
 */
describe.runIf(available)("job launches during a PostgreSQL outage", { timeout: 120_000 }, () => {
  const postgres = proxiedPostgres();

  it("a job that ends during a cut is recorded once the store is back, not run again", async () => {
    const { proxy: link, schema, url } = await postgres.open();
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let id: string | undefined;
    const manager = createManager(
      defineConfig({
        store: url,
        jobs: [
          defineJob({
            type: "gated",
            run: async () => {
              runs++;
              await gate;
              return { ok: true };
            },
          }),
        ],
        daemons: [
          defineDaemon({
            name: "launcher",
            async setup(ctx) {
              id = await ctx.jobs.launch("gated", {}, { reason: "once" });
            },
          }),
        ],
      }),
      { logger: false },
    );
    await manager.start();
    await until("the job running", () => runs === 1);
    link.cut();
    await until("the store degraded", () => manager.liveness().warnings !== undefined);
    release();
    // Longer than the three quick tries (600 ms) the outcome had before giving up.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    link.restore();
    const direct = createStore(PG_URL, { schema });
    await direct.open();
    await until(
      "the job completed",
      async () => (await direct.getJob(id as string))?.status === "completed",
    );
    expect(await direct.getJob(id as string)).toMatchObject({ attempts: 1, result: { ok: true } });
    expect(runs).toBe(1);
    await direct.close();
    await manager.shutdown();
  });

  for (const fault of ["cut", "hang"] as const) {
    it(`a ${fault} of 6 s: the launcher stays running, every id is stored once and runs, /health recovers`, async () => {
      const { proxy: link, schema, url } = await postgres.open();
      const launched: string[] = [];
      const ran = new Set<string>();
      let launching = true;
      const manager = createManager(
        defineConfig({
          store: url,
          http: { port: 0 },
          jobs: [
            defineJob({
              type: "outage_work",
              run: (_payload, ctx) => {
                ran.add(ctx.id);
              },
            }),
          ],
          daemons: [
            defineDaemon({
              name: "launcher",
              interval: 100,
              async cycle(ctx) {
                if (!launching) return;
                const n = launched.length;
                // Every fifth cycle launches three at once (one write for the batch).
                if (ctx.stats.cycles % 5 === 4) {
                  const payloads = [{ n }, { n: n + 1 }, { n: n + 2 }];
                  launched.push(
                    ...(await ctx.jobs.launchMany("outage_work", payloads, { reason: "batch" })),
                  );
                } else {
                  launched.push(await ctx.jobs.launch("outage_work", { n }, { reason: "tick" }));
                }
              },
            }),
          ],
        }),
        { logger: false },
      );
      await manager.start();
      const health = async (): Promise<Health> =>
        (await fetch(`${manager.url}/health`)).json() as Promise<Health>;
      await until("jobs running", () => ran.size >= 5);
      const before = launched.length;
      if (fault === "cut") link.cut();
      else link.hang();
      const faultAt = Date.now();
      await until(
        "the store degraded",
        async () => (await health()).warnings !== undefined,
        20_000,
      );
      const noticedMs = Date.now() - faultAt;
      // A cut lasts 6 s; a hang, noticed only after the statement timeout, 6 s beyond that.
      const lasts = fault === "cut" ? 6_000 : noticedMs + 6_000;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, lasts - (Date.now() - faultAt))),
      );
      const duringFault = launched.length - before;
      link.restore();
      const restoredAt = Date.now();
      await until("/health without warnings", async () => {
        const h = await health();
        return h.ok && h.warnings === undefined;
      });
      const recoveryMs = Date.now() - restoredAt;
      launching = false;
      await until("every launched job run", () => launched.every((id) => ran.has(id)), 30_000);
      // An attempt that ended during the cut could not record it (the job service tries three
      // times, then lets the lease expire and the job run again): wait for every job to be
      // completed in the store, which takes up to a lease (10 s) for those.
      const direct = createStore(PG_URL, { schema });
      await direct.open();
      const unfinished = async () =>
        (await direct.listJobs({ launchedBy: "launcher", limit: 100_000 })).filter(
          (j) => j.status !== "completed",
        );
      await until(
        "every job completed in the store",
        async () => (await unfinished()).length === 0,
        30_000,
      );

      const status = manager.status("launcher");
      expect(status.state).toBe("running");
      expect(status.restarts).toBe(0);
      expect(status.restartAttempt).toBe(0);
      // Launches kept returning ids during the outage (a hang holds the first ones for the
      // statement timeout, ~6 s, until the store counts itself degraded), 10 a second at most.
      expect(noticedMs).toBeLessThan(10_000);
      expect(duringFault).toBeGreaterThan(30);
      expect(new Set(launched).size).toBe(launched.length);
      // The database answers again at once; what is left is the write buffers' retry delay.
      expect(recoveryMs).toBeLessThan(10_000);
      console.log(
        `${fault}: noticed in ${noticedMs} ms, ${duringFault} launches during it, /health recovered in ${recoveryMs} ms`,
      );
      await manager.shutdown();

      const stored = await direct.listJobs({ launchedBy: "launcher", limit: 100_000 });
      expect(stored.map((j) => j.id).sort()).toEqual([...launched].sort());
      expect(await unfinished()).toEqual([]);
      const actions = await direct.listJobActions({ daemon: "launcher", limit: 100_000 });
      const launchedActions = actions.filter((a) => a.action === "launched").map((a) => a.jobId);
      expect(launchedActions.sort()).toEqual([...launched].sort());
      await direct.close();
    });
  }
});
