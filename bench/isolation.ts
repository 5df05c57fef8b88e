/**
 * 8. Isolation: what a worker-thread or child-process daemon costs.
 *
 *   npx tsx bench/isolation.ts      npm run bench:isolation
 *
 * - crash → running for a process daemon (it exits with code 1; a fresh guest loads the spec
 *   module and runs setup) against PM2 restarting the same kind of script (`autorestart`, no
 *   delay, private PM2_HOME; its daemon is killed at the end). Target ≤ 0.5× PM2.
 * - crash → running for a worker daemon against a bare `new Worker()` of a script that posts
 *   "ready" (the least any thread restart can cost).
 * - start-up time and memory of 50 worker daemons and of 50 process daemons against 50 bare
 *   threads / 50 bare forks that do nothing but say "ready".
 * The crash time is the guest's wall clock just before it exits; running is the host's wall
 * clock when the new guest is ready (same machine, same clock). Restarts are spaced
 * `SPACING` ms apart, as a real crash loop is by backoff.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { createEventBus } from "../src/events/index.js";
import { systemClock } from "../src/internal/clock.js";
import { createDaemonRunner } from "../src/isolation/host-runner.js";
import { closeProcessSpares } from "../src/isolation/process-host.js";
import type { HostContext } from "../src/isolation/types.js";
import { closeWorkerSpares } from "../src/isolation/worker-host.js";
import type { DaemonSpec } from "../src/registry/types.js";
import { crasher, idle } from "./isolation-daemons.js";
import { type Benchmark, percentile, row, runIfMain } from "./lib.js";

const RESTARTS = Number(process.env.RESTARTS ?? 30);
const WARMUP = 3;
const FLEET = Number(process.env.FLEET ?? 50);
const CRASH_AFTER = 100;
const SPACING = 300;
const MODULE = fileURLToPath(new URL("./isolation-daemons.ts", import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host context that hands the guest's log lines to `onLog` and ignores everything else. */
function hostContext(
  name: string,
  onLog: (message: string, fields: { at?: number } | undefined) => void = () => {},
) {
  const controller = new AbortController();
  const log = (message: string, fields?: Record<string, unknown>) =>
    onLog(message, fields as { at?: number } | undefined);
  const ctx: HostContext = {
    name,
    config: { crashAfter: CRASH_AFTER },
    log: { debug: log, info: log, warn: log, error: log },
    signal: controller.signal,
    ready() {},
    heartbeat() {},
    sleep: (ms) => pause(ms).then(() => {}),
    events: {
      publish: (type, payload) => bus.publish(type, payload, { source: name }),
      subscribe: (type, handler) => bus.attach(name, type, handler as never),
    },
    jobs: undefined as never,
    stats: {
      cycles: 0,
      cycleErrors: 0,
      consecutiveErrors: 0,
      lastCycleAt: null,
      lastCycleDurationMs: null,
    },
    node: { id: "bench", host: "bench", pid: process.pid, profile: null },
    clock: systemClock,
  };
  return { ctx, controller };
}
const bus = createEventBus({ clock: systemClock });

/** Supervises `crasher` as the supervisor would: on each exit, a fresh runner, started at once. */
async function ringmasterRestarts(kind: "worker" | "process"): Promise<number[]> {
  const samples: number[] = [];
  let crashAt = 0;
  /** Starts a runner; resolves once it is running, with the promise of its exit. */
  const start = async (): Promise<Promise<unknown>> => {
    const runner = createDaemonRunner(crasher, { kind, module: MODULE });
    const exited = new Promise((resolve) => runner.onExit(resolve));
    const { ctx } = hostContext("crasher", (message, fields) => {
      if (message === "crash") crashAt = fields?.at ?? 0;
    });
    await runner.start(ctx);
    void runner.run().catch(() => {});
    return exited;
  };
  let exited = await start();
  for (let i = -WARMUP; i < RESTARTS; i++) {
    await exited;
    exited = await start();
    if (i >= 0) samples.push(now() - crashAt);
    // The next crash comes CRASH_AFTER ms into the run: restarts are about SPACING apart.
    await pause(Math.max(0, SPACING - CRASH_AFTER));
  }
  await exited;
  return samples;
}

const BARE_SCRIPT = `
const now = () => performance.timeOrigin + performance.now();
const send = (m) => process.send ? process.send({ type: "process:msg", data: m }) : require("node:worker_threads").parentPort.postMessage(m);
send({ ready: now() });
if (process.env.CRASH_AFTER || require("node:worker_threads").workerData?.crash) {
  setTimeout(() => { send({ crash: now() }); setTimeout(() => process.exit(1), 1); }, ${CRASH_AFTER});
} else setInterval(() => {}, 1 << 30);
`;

/** PM2 restarting a script that crashes CRASH_AFTER ms after start: crash → its next "ready". */
async function pm2Restarts(dir: string): Promise<number[]> {
  process.env.PM2_HOME = join(dir, "pm2");
  const script = join(dir, "crasher.cjs");
  writeFileSync(script, BARE_SCRIPT);
  const pm2 = (await import("pm2")).default;
  const call = <T>(fn: (cb: (error: Error | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      fn((error, value) => (error ? reject(error) : resolve(value as T))),
    );
  await call((cb) => pm2.connect(cb));
  try {
    const bus = await call<{ on(event: string, listener: (packet: never) => void): void }>((cb) =>
      pm2.launchBus(cb),
    );
    const samples: number[] = [];
    let crashAt = 0;
    let seen = 0;
    let done: (() => void) | undefined;
    bus.on("process:msg", (packet: { data: { ready?: number; crash?: number } }) => {
      if (packet.data.crash) crashAt = packet.data.crash;
      if (packet.data.ready && crashAt) {
        if (seen++ >= WARMUP) samples.push(packet.data.ready - crashAt);
        if (samples.length >= RESTARTS) done?.();
      }
    });
    const finished = new Promise<void>((resolve) => (done = resolve));
    await call((cb) =>
      pm2.start(
        {
          script,
          name: "crasher",
          autorestart: true,
          restart_delay: 0,
          min_uptime: 0,
          max_restarts: 100_000,
          env: { CRASH_AFTER: "1" },
        } as never,
        cb,
      ),
    );
    await finished;
    await call((cb) => pm2.delete("crasher", cb));
    return samples;
  } finally {
    await call((cb) => pm2.killDaemon(cb)).catch(() => {});
    pm2.disconnect();
  }
}

/** A bare Worker of the script that crashes: crash → the next Worker's "ready". */
async function bareWorkerRestarts(): Promise<number[]> {
  const samples: number[] = [];
  let crashAt = 0;
  for (let i = -WARMUP; i < RESTARTS; i++) {
    await new Promise<void>((resolve) => {
      const worker = new Worker(BARE_SCRIPT, {
        eval: true,
        execArgv: [],
        workerData: { crash: true },
      });
      worker.on("message", (m: { ready?: number; crash?: number }) => {
        if (m.ready && crashAt && i >= 0) samples.push(m.ready - crashAt);
        if (m.crash) crashAt = m.crash;
      });
      worker.on("exit", () => resolve());
    });
    await pause(Math.max(0, SPACING - CRASH_AFTER));
  }
  return samples;
}

const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
};

/** FLEET daemons started together: time until all are ready, and the memory they add. */
async function fleet(kind: "worker" | "process", spec: DaemonSpec) {
  const before = rssOf(process.pid);
  const t0 = performance.now();
  const runners = await Promise.all(
    Array.from({ length: FLEET }, async (_, i) => {
      const runner = createDaemonRunner(spec, { kind, module: MODULE, spare: false });
      await runner.start(hostContext(`idle_${i}`).ctx);
      return runner;
    }),
  );
  const ms = performance.now() - t0;
  await pause(500);
  const bytes =
    kind === "worker"
      ? rssOf(process.pid) - before
      : runners.reduce((sum, r) => sum + rssOf(r.stats().pid!), 0);
  await Promise.all(runners.map((r) => r.stop(2000)));
  return { ms, bytes };
}

/** FLEET bare threads or forks of a script that says "ready": the floor under `fleet`. */
async function bareFleet(kind: "worker" | "process", dir: string) {
  const script = join(dir, "idle.cjs");
  writeFileSync(script, BARE_SCRIPT);
  const before = rssOf(process.pid);
  const t0 = performance.now();
  const ends: Array<() => Promise<unknown>> = [];
  const pids: number[] = [];
  await Promise.all(
    Array.from(
      { length: FLEET },
      () =>
        new Promise<void>((resolve) => {
          if (kind === "worker") {
            const worker = new Worker(BARE_SCRIPT, { eval: true, execArgv: [] });
            worker.once("message", () => resolve());
            ends.push(() => worker.terminate());
          } else {
            // No tsx here: the bare floor is plain Node.
            const child = fork(script, [], { serialization: "advanced", execArgv: [] });
            child.once("message", () => resolve());
            pids.push(child.pid!);
            ends.push(async () => {
              child.kill("SIGKILL");
            });
          }
        }),
    ),
  );
  const ms = performance.now() - t0;
  await pause(500);
  const bytes =
    kind === "worker" ? rssOf(process.pid) - before : pids.reduce((s, p) => s + rssOf(p), 0);
  await Promise.all(ends.map((end) => end()));
  return { ms, bytes };
}

const benchmark: Benchmark = {
  name: "isolation",
  title: `Isolation (crash → running over ${RESTARTS} restarts; ${FLEET} worker / process daemons)`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-isolation-"));
    try {
      const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
        process.stderr.write(`${what}…\n`);
        return await work();
      };
      const pm2 = await step("PM2 restarts", () => pm2Restarts(dir));
      const processRestarts = await step("process daemon restarts", () =>
        ringmasterRestarts("process"),
      );
      const bareWorker = await step("bare Worker restarts", bareWorkerRestarts);
      const workerRestarts = await step("worker daemon restarts", () =>
        ringmasterRestarts("worker"),
      );
      const bareThreads = await step("bare threads", () => bareFleet("worker", dir));
      const workers = await step("worker daemons", () => fleet("worker", idle));
      const bareForks = await step("bare forks", () => bareFleet("process", dir));
      const processes = await step("process daemons", () => fleet("process", idle));
      await Promise.all([closeProcessSpares(), closeWorkerSpares()]);
      const p50 = (xs: number[]) => percentile(xs, 0.5);
      const MB = 1024 * 1024;
      return {
        rows: [
          row({
            metric: "process daemon crash → running, p50",
            figure: p50(processRestarts),
            unit: "ms",
            baseline: p50(pm2),
            baselineLabel: "PM2 restart",
            target: { on: "ratio", kind: "max", value: 0.5, label: "≤ 0.5× PM2" },
          }),
          row({
            metric: "process daemon crash → running, p99",
            figure: percentile(processRestarts, 0.99),
            unit: "ms",
            baseline: percentile(pm2, 0.99),
            baselineLabel: "PM2 restart",
          }),
          row({
            metric: "worker daemon crash → running, p50",
            figure: p50(workerRestarts),
            unit: "ms",
            baseline: p50(bareWorker),
            baselineLabel: "bare new Worker()",
          }),
          row({
            metric: `${FLEET} worker daemons: start-up`,
            figure: workers.ms,
            unit: "ms",
            baseline: bareThreads.ms,
            baselineLabel: `${FLEET} bare threads`,
          }),
          row({
            metric: `${FLEET} worker daemons: memory`,
            figure: workers.bytes / MB,
            unit: "MB",
            baseline: bareThreads.bytes / MB,
            baselineLabel: `${FLEET} bare threads`,
          }),
          row({
            metric: `${FLEET} process daemons: start-up`,
            figure: processes.ms,
            unit: "ms",
            baseline: bareForks.ms,
            baselineLabel: `${FLEET} bare forks`,
          }),
          row({
            metric: `${FLEET} process daemons: memory (RSS sum)`,
            figure: processes.bytes / MB,
            unit: "MB",
            baseline: bareForks.bytes / MB,
            baselineLabel: `${FLEET} bare forks`,
          }),
        ],
        details: {
          pm2,
          processRestarts,
          bareWorker,
          workerRestarts,
          bareThreads,
          workers,
          bareForks,
          processes,
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
