import type { EventLoopUtilization } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { describeError } from "../internal/errors.js";
import type { DaemonLogger } from "../registry/types.js";
import type { GuestHandle } from "./host.js";
import { workerBootstrap } from "./host-entry.js";
import { forwardLines } from "./host-lines.js";
import { Spares } from "./host-spares.js";
import type { Message, ResourceSample } from "./protocol.js";
import type { GuestOptions, RunnerExit } from "./types.js";

const MB = 1024 * 1024;

/** A spare's key: the module decides whether tsx is registered, the limit is fixed at start. */
const keyOf = (module: string, limit: number | undefined) => JSON.stringify([module, limit ?? 0]);

function startWorker(key: string): Worker {
  const [module, limit] = JSON.parse(key) as [string, number];
  return new Worker(workerBootstrap(module), {
    stdout: true,
    stderr: true,
    ...(limit ? { resourceLimits: { maxOldGenerationSizeMb: limit } } : {}),
  });
}

const spares = new Spares<Worker>({
  make: startWorker,
  park: (worker) => worker.unref(),
  unpark: (worker) => worker.ref(),
  onEnd: (worker, listener) => worker.once("exit", listener),
  end: async (worker) => {
    await worker.terminate();
  },
});

/** Ends the spare worker threads; resolves once they have stopped. */
export function closeWorkerSpares(): Promise<void> {
  return spares.close();
}

/** The spare worker threads parked now (for tests). */
export function workerSpares(): readonly Worker[] {
  return spares.spares;
}

/**
 * Starts a worker-thread guest. `maxMemory` becomes the thread's V8 old-generation limit
 * (`resourceLimits`): a thread that outgrows it is ended by V8 with `ERR_WORKER_OUT_OF_MEMORY`,
 * reported as `"memory limit"`. An uncaught error ends it as `"uncaught: Name: message"`, and
 * `process.exit(n)` in it ends only the thread, as `"exit code n"`. `force()` is `terminate()`.
 * CPU is the thread's event-loop utilization (Node 20 has no per-thread CPU clock).
 */
export function spawnWorkerGuest(options: GuestOptions, log: DaemonLogger): GuestHandle {
  const limit = options.maxMemory ? Math.max(1, Math.floor(options.maxMemory / MB)) : undefined;
  // Only whether the module is TypeScript matters to the bootstrap: spares are shared by it.
  const key = keyOf(/\.[cm]?tsx?$/.test(options.module) ? "spec.ts" : "spec.js", limit);
  const worker = options.spare === false ? startWorker(key) : spares.take(key);
  forwardLines(worker.stdout, (line) => log.info(line, { stream: "stdout" }));
  forwardLines(worker.stderr, (line) => log.warn(line, { stream: "stderr" }));
  const threadId = worker.threadId;
  let failure: Pick<RunnerExit, "reason" | "error"> | undefined;
  let heapBytes: number | undefined;
  let cpuPercent: number | undefined;
  let utilization: EventLoopUtilization | undefined;
  let alive = true;
  worker.on("error", (error) => {
    const code = (error as Error & { code?: string }).code;
    failure =
      code === "ERR_WORKER_OUT_OF_MEMORY"
        ? { reason: "memory limit", error }
        : { reason: `uncaught: ${describeError(error)}`, error };
  });
  return {
    channel: {
      send: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.on("message", (message: Message) => listener(message)),
    },
    onExit(listener) {
      worker.once("exit", (code) => {
        alive = false;
        listener({
          reason: failure?.reason ?? `exit code ${code}`,
          code,
          signal: null,
          ...(failure?.error ? { error: failure.error } : {}),
        });
      });
    },
    async force() {
      await worker.terminate();
      return "terminate";
    },
    sample(sample: ResourceSample) {
      heapBytes = sample.heapBytes;
      if (!alive) return;
      const now = worker.performance.eventLoopUtilization();
      const delta = utilization ? worker.performance.eventLoopUtilization(now, utilization) : now;
      utilization = now;
      cpuPercent = Math.round(delta.utilization * 1000) / 10;
    },
    stats: () => ({
      pid: process.pid,
      threadId,
      ...(heapBytes !== undefined ? { heapBytes } : {}),
      ...(cpuPercent !== undefined ? { cpuPercent } : {}),
    }),
  };
}
