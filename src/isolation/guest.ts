import { getHeapStatistics } from "node:v8";
import type { DaemonSpec, JobSpec } from "../registry/types.js";
import { Bridge } from "./bridge.js";
import { type GuestState, guestContext, guestJobContext } from "./guest-context.js";
import type { Channel, LeaseSnapshot, LoadArgs, ResourceSample } from "./protocol.js";
import type { GuestHooks } from "./types.js";

type Hook = "setup" | "cycle" | "run" | "health" | "cleanup";
const HOOKS: readonly Hook[] = ["setup", "cycle", "run", "health", "cleanup"];

/**
 * Finds the exported spec: a daemon by `name` or a job by `type`, among the module's named
 * exports and its default export (a spec, or an object holding specs, such as a config).
 */
export function findSpec(
  exports: Record<string, unknown>,
  target: "daemon" | "job",
  name: string,
): DaemonSpec | JobSpec | undefined {
  const matches = (value: unknown): value is DaemonSpec | JobSpec => {
    if (!value || typeof value !== "object") return false;
    const spec = value as { kind?: unknown; name?: unknown; type?: unknown };
    return spec.kind === target && (target === "daemon" ? spec.name : spec.type) === name;
  };
  const candidates: unknown[] = Object.values(exports);
  const fallback = exports.default as Record<string, unknown> | undefined;
  if (fallback && typeof fallback === "object") {
    candidates.push(...Object.values(fallback));
    for (const list of [fallback.daemons, fallback.jobs]) {
      if (Array.isArray(list)) candidates.push(...list);
    }
  }
  return candidates.find(matches);
}

/** Samples this thread's (or process's) resources every `ms` and sends them to the host. */
function sampleResources(bridge: Bridge, ms: number): void {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  const timer = setInterval(() => {
    const nextCpu = process.cpuUsage();
    const nextWall = performance.now();
    const sample: ResourceSample = {
      rssBytes: process.memoryUsage.rss(),
      heapBytes: getHeapStatistics().used_heap_size,
      cpuMicros: nextCpu.user - cpu.user + (nextCpu.system - cpu.system),
      wallMicros: Math.round((nextWall - wall) * 1000),
    };
    cpu = nextCpu;
    wall = nextWall;
    bridge.notify("sample", sample);
  }, ms);
  timer.unref();
}

/**
 * The guest runtime, the same in a worker thread and a child process: it waits for `load`,
 * imports the spec module, finds the daemon (or job) spec, then runs hooks when the host asks,
 * with a context bridged back to the host's. `exit` ends the guest (thread or process).
 */
export function runGuest(channel: Channel, exit: (code: number) => void): Bridge {
  const bridge = new Bridge(channel);
  const run = new AbortController();
  let daemon: DaemonSpec | undefined;
  let job: JobSpec | undefined;
  let state: GuestState | undefined;

  bridge.handle("load", async (args: LoadArgs): Promise<GuestHooks | null> => {
    const exports = (await import(args.module)) as Record<string, unknown>;
    const spec = findSpec(exports, args.target, args.name);
    if (!spec) {
      throw new Error(
        `${args.module} exports no ${args.target} ${args.target === "daemon" ? "named" : "of type"} "${args.name}" (exports: ${Object.keys(exports).join(", ") || "none"})`,
      );
    }
    sampleResources(bridge, args.sampleInterval);
    if (spec.kind === "job") {
      job = spec;
      return null;
    }
    daemon = spec;
    state = {
      bridge,
      name: args.name,
      config: Object.freeze((args.config ?? {}) as Record<string, unknown>),
      node: args.node as GuestState["node"],
      stats: args.stats as GuestState["stats"],
      lease: args.lease,
      handlers: new Map(),
      nextSubscription: 1,
    };
    const hooks = {} as GuestHooks;
    for (const hook of HOOKS) hooks[hook] = typeof spec[hook] === "function";
    return hooks;
  });

  bridge.handle(
    "hook",
    async (
      args: { hook: Hook; stats?: GuestState["stats"]; lease?: LeaseSnapshot },
      signal: AbortSignal,
    ) => {
      if (!daemon || !state) throw new Error("no daemon loaded");
      if (args.stats) state.stats = args.stats;
      if (args.lease) state.lease = args.lease;
      // A cycle has its own signal (cycleTimeout); every other hook gets the run's.
      const own = args.hook === "cycle" ? AbortSignal.any([run.signal, signal]) : run.signal;
      return await daemon[args.hook]?.(guestContext(state, own));
    },
  );

  bridge.handle("deliver", async (args: { sub: number; event: never }) => {
    const handler = state?.handlers.get(args.sub);
    if (handler) await handler(args.event);
  });

  bridge.handle(
    "job",
    async (args: { payload: unknown; id: string; attempt: number }, signal: AbortSignal) => {
      if (!job) throw new Error("no job loaded");
      return await job.run(args.payload, guestJobContext(bridge, args, signal));
    },
  );

  bridge.on("abort", () => run.abort());
  bridge.on("lease", (lease: LeaseSnapshot) => {
    if (state) state.lease = lease;
  });
  bridge.on("exit", () => exit(0));
  return bridge;
}
