/**
 * 6. Probes: requests per second and p99 latency of `GET /health` and `GET /api/daemons` on a
 * manager running the 89-daemon fleet of the start-up benchmark (quick setups, memory store),
 * against a bare Fastify server in the same process whose routes return the same JSON bodies
 * (`/health`: `{ ok: true, reasons: [] }`; `/api/daemons`: the manager's own answer, captured
 * once and served as a plain object, so the bare side skips building the statuses but still
 * serializes as much JSON). `/api/daemons` is measured twice on ringmaster: as is (served from
 * its 250 ms cache under load) and uncached (`?state=running`, the same list built and
 * serialized per request).
 *
 *   npx tsx bench/probes.ts      npm run bench:probes
 *
 * Load comes from autocannon's CLI in a separate process (10 connections, no pipelining),
 * {@link SECONDS} s per measurement after a 1 s warm-up each; rounds interleave ringmaster and the
 * bare route, and each side's best round counts.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import Fastify from "fastify";
import { createManager, defineConfig } from "../src/index.js";
import { type Benchmark, row, runIfMain } from "./lib.js";
import { buildRegistry, DAEMONS } from "./startup.js";

const SECONDS = Number(process.env.PROBES_SECONDS ?? 4);
const ROUNDS = Number(process.env.PROBES_ROUNDS ?? 2);
const CONNECTIONS = 10;
const AUTOCANNON = createRequire(import.meta.url).resolve("autocannon/autocannon.js");

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** autocannon against `url` for `seconds`, in its own process. */
function autocannon(url: string, seconds: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [AUTOCANNON, "-j", "-c", String(CONNECTIONS), "-d", String(seconds), url],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      try {
        if (code !== 0) throw new Error(`autocannon exited with ${code}`);
        const r = JSON.parse(out.trim().split("\n").at(-1) ?? "") as {
          requests: { average: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
        };
        resolve({
          requestsPerSecond: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}

const benchmark: Benchmark = {
  name: "probes",
  title: `HTTP probes with ${DAEMONS} daemons vs a bare Fastify route (autocannon, ${CONNECTIONS} connections)`,
  async run() {
    const registry = buildRegistry(async () => {});
    const manager = createManager(
      defineConfig({
        daemons: registry.daemons,
        store: "memory:",
        http: { host: "127.0.0.1", port: 0 },
      }),
      { logger: false },
    );
    const report = await manager.start();
    if (report.running.length !== DAEMONS)
      throw new Error(`only ${report.running.length} of ${DAEMONS} daemons running`);
    const rmBase = manager.url as string;
    const daemonsBody = (await (await fetch(`${rmBase}/api/daemons`)).json()) as unknown[];
    const healthBody = await (await fetch(`${rmBase}/health`)).json();
    const filtered = (await (await fetch(`${rmBase}/api/daemons?state=running`)).json()) as [];
    if (filtered.length !== daemonsBody.length)
      throw new Error(`?state=running returned ${filtered.length} of ${daemonsBody.length}`);

    const bare = Fastify({ logger: false });
    bare.get("/health", () => ({ ok: true, reasons: [] }));
    bare.get("/api/daemons", () => daemonsBody);
    const bareBase = await bare.listen({ host: "127.0.0.1", port: 0 });

    // `?state=running` bypasses the list cache and returns the same 89 statuses (all run): what
    // a filtering client, or the first request after any state change, pays. The bare route
    // ignores the query and serializes the same body.
    const paths = ["/health", "/api/daemons", "/api/daemons?state=running"] as const;
    const sides = { ringmaster: rmBase, bare: bareBase } as const;
    const runs: Record<string, Load[]> = {};
    try {
      for (const path of paths)
        for (const base of Object.values(sides)) await autocannon(`${base}${path}`, 1);
      for (let r = 0; r < ROUNDS; r++) {
        for (const path of paths) {
          for (const [side, base] of Object.entries(sides)) {
            const load = await autocannon(`${base}${path}`, SECONDS);
            if (load.non2xx > 0 || load.errors > 0)
              throw new Error(`${side} ${path}: ${load.non2xx} non-2xx, ${load.errors} errors`);
            const key = `${side} ${path}`;
            runs[key] = [...(runs[key] ?? []), load];
          }
        }
      }
    } finally {
      await bare.close();
      await manager.shutdown();
    }
    const best = (key: string) =>
      (runs[key] as Load[]).reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const rows = [];
    for (const path of paths) {
      const mine = best(`ringmaster ${path}`);
      const base = best(`bare ${path}`);
      const label = path.includes("?") ? "/api/daemons uncached (?state=running)" : path;
      rows.push(
        row({
          metric: `${label}: requests/s`,
          figure: mine.requestsPerSecond,
          unit: "/s",
          baseline: base.requestsPerSecond,
          baselineLabel: "bare Fastify",
          target: { on: "ratio", kind: "min", value: 0.8, label: "≥ 0.8× bare" },
        }),
        row({
          metric: `${label}: p99 latency`,
          figure: mine.p99,
          unit: "ms",
          baseline: base.p99,
          baselineLabel: "bare Fastify",
        }),
      );
    }
    return {
      rows,
      details: {
        daemons: DAEMONS,
        seconds: SECONDS,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        bodyBytes: {
          health: JSON.stringify(healthBody).length,
          daemons: JSON.stringify(daemonsBody).length,
        },
        runs,
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
