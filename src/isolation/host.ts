import { sleep } from "../internal/sleep.js";
import type { DaemonJobs, DaemonLogger, HealthResult, JobFilter } from "../registry/types.js";
import { Bridge } from "./bridge.js";
import { moduleUrl } from "./host-entry.js";
import type { Channel, LeaseSnapshot, LoadArgs, ResourceSample } from "./protocol.js";
import {
  type DaemonRunner,
  GuestExitError,
  type GuestHooks,
  type GuestOptions,
  type HostContext,
  type RunnerExit,
  type RunnerStats,
  type RunnerStopResult,
} from "./types.js";

/** Defaults of isolated guests, in one place. */
export const GUEST_DEFAULTS = {
  /** SIGTERM → SIGKILL of a process guest's group (DESIGN.md §2 `killTimeout`). */
  killTimeout: 5_000,
  /** How often a guest samples its RSS, heap and CPU, and the host checks `maxMemory`. */
  sampleInterval: 1_000,
};

/**
 * A started guest (worker thread or child process), as the host side of a runner needs it.
 * `onExit` fires once, with the reason already worded; `force()` ends the guest however it must
 * and resolves once it is gone; `sample` feeds the guest's own resource samples in.
 */
export interface GuestHandle {
  readonly channel: Channel;
  onExit(listener: (exit: Omit<RunnerExit, "expected">) => void): void;
  force(): Promise<RunnerStopResult["forced"]>;
  sample(sample: ResourceSample): void;
  stats(): Omit<RunnerStats, "kind">;
}

/** Starts a guest; its stdout and stderr lines go to `log` (info and warn). */
export type GuestSpawner = (options: GuestOptions, log: DaemonLogger) => GuestHandle;

/** A guest's whole life as the host sees it: the bridge, the exit, a graceful or forced end. */
export class GuestSession {
  readonly bridge: Bridge;
  exit: RunnerExit | undefined;
  private stopping = false;
  private exited: Promise<RunnerExit>;
  private listeners: Array<(exit: RunnerExit) => void> = [];

  constructor(
    readonly guest: GuestHandle,
    readonly options: GuestOptions,
  ) {
    this.bridge = new Bridge(guest.channel);
    this.bridge.on("sample", (sample: ResourceSample) => guest.sample(sample));
    this.exited = new Promise((resolve) => {
      guest.onExit((ended) => {
        const exit: RunnerExit = this.stopping
          ? { ...ended, reason: "stopped", expected: true }
          : { ...ended, expected: false };
        this.exit = exit;
        this.bridge.close(new GuestExitError(exit));
        for (const listener of this.listeners.splice(0)) listener(exit);
        resolve(exit);
      });
    });
  }

  onExit(listener: (exit: RunnerExit) => void): void {
    if (this.exit) listener(this.exit);
    else this.listeners.push(listener);
  }

  load(args: Omit<LoadArgs, "module" | "sampleInterval">): Promise<GuestHooks | null> {
    return this.bridge.request("load", {
      ...args,
      module: moduleUrl(this.options.module),
      sampleInterval: this.options.sampleInterval ?? GUEST_DEFAULTS.sampleInterval,
    } satisfies LoadArgs);
  }

  /** Asks the guest to leave; after `graceMs`, forces it. Resolves once it is gone. */
  async stop(graceMs: number): Promise<RunnerStopResult> {
    const started = performance.now();
    const result = (graceful: boolean, forced: RunnerStopResult["forced"]) => ({
      graceful,
      forced,
      durationMs: performance.now() - started,
    });
    if (this.exit) return result(true, null);
    this.stopping = true;
    this.bridge.notify("exit");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), Math.max(0, graceMs));
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first !== "late") return result(true, null);
    const forced = await this.guest.force();
    await this.exited;
    return result(false, forced);
  }
}

function leaseSnapshot(ctx: HostContext): LeaseSnapshot | undefined {
  const lease = ctx.lease;
  if (!lease) return undefined;
  return {
    token: lease.token,
    holder: lease.holder,
    expiresAt: lease.expiresAt,
    held: lease.held(),
  };
}

/**
 * Performs the guest's context calls on the host's `ctx`: logs, heartbeats, readiness,
 * publishing, subscriptions (the host subscribes under the daemon's name, so mailboxes and
 * redelivery work as inline; a delivery waits for the guest's handler), sleep and jobs.
 * Returns the function that detaches the guest's subscriptions.
 */
function serveContext(bridge: Bridge, ctx: HostContext): () => void {
  const subscriptions = new Map<number, () => void>();
  bridge
    .on("log", (a: { level: keyof DaemonLogger; message: string; fields?: object }) =>
      ctx.log[a.level](a.message, a.fields as Record<string, unknown>),
    )
    .on("heartbeat", (details) => ctx.heartbeat(details ?? undefined))
    .on("ready", () => ctx.ready())
    .on("publish", (a: { type: string; payload: never; id: string }) =>
      ctx.events.publish(a.type as never, a.payload, { id: a.id }),
    )
    .on("subscribe", (a: { sub: number; type: string }) => {
      const off = ctx.events.subscribe(a.type as never, (event) =>
        bridge.request<void>("deliver", { sub: a.sub, event }),
      );
      subscriptions.set(a.sub, off);
    })
    .on("unsubscribe", (a: { sub: number }) => {
      subscriptions.get(a.sub)?.();
      subscriptions.delete(a.sub);
    })
    .on("sample", () => {
      const lease = leaseSnapshot(ctx);
      if (lease) bridge.notify("lease", lease);
    })
    .handle("sleep", (ms: number, signal) =>
      sleep(ctx.clock, ms, AbortSignal.any([signal, ctx.signal])),
    )
    .handle("jobs.launch", ([type, payload, options]: Parameters<DaemonJobs["launch"]>) =>
      ctx.jobs.launch(type, payload, options),
    )
    .handle("jobs.launchMany", ([type, payloads, options]: Parameters<DaemonJobs["launchMany"]>) =>
      ctx.jobs.launchMany(type, payloads, options),
    )
    .handle("jobs.monitor", ([id]: [string], signal) => ctx.jobs.monitor(id, { signal }))
    .handle("jobs.cancel", ([id, reason]: [string, string]) => ctx.jobs.cancel(id, reason))
    .handle("jobs.get", ([id]: [string]) => ctx.jobs.get(id))
    .handle("jobs.list", ([filter]: [JobFilter?]) => ctx.jobs.list(filter));
  return () => {
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
  };
}

/** A daemon run in a worker thread or a child process: the {@link DaemonRunner} contract. */
export class GuestRunner implements DaemonRunner {
  readonly kind: "worker" | "process";
  private session: GuestSession | undefined;
  private ctx: HostContext | undefined;
  private hooks: GuestHooks | undefined;
  private early: Array<(exit: RunnerExit) => void> = [];

  constructor(
    private name: string,
    private options: GuestOptions,
    private spawn: GuestSpawner,
  ) {
    this.kind = options.kind;
  }

  async start(ctx: HostContext): Promise<void> {
    if (this.session) throw new Error(`runner of "${this.name}" was already started`);
    this.ctx = ctx;
    const session = new GuestSession(this.spawn(this.options, ctx.log), this.options);
    this.session = session;
    const detach = serveContext(session.bridge, ctx);
    session.onExit(detach);
    for (const listener of this.early.splice(0)) session.onExit(listener);
    const abort = () => session.bridge.notify("abort");
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener("abort", abort, { once: true });
    this.hooks =
      (await session.load({
        target: "daemon",
        name: this.name,
        config: ctx.config,
        node: ctx.node,
        stats: { ...ctx.stats },
        lease: leaseSnapshot(ctx),
      })) ?? undefined;
    await this.call("setup");
  }

  cycle(ctx: HostContext): Promise<void> {
    return this.call("cycle", ctx.signal);
  }
  run(): Promise<void> {
    return this.call("run");
  }
  health(): Promise<HealthResult | undefined> {
    return this.call("health");
  }
  cleanup(): Promise<void> {
    // Nothing to clean after a start that failed before the spec was found, or once the guest is gone.
    if (!this.hooks || this.session?.exit) return Promise.resolve();
    return this.call("cleanup");
  }

  stop(graceMs: number): Promise<RunnerStopResult> {
    if (!this.session) return Promise.resolve({ graceful: true, forced: null, durationMs: 0 });
    return this.session.stop(graceMs);
  }

  stats(): RunnerStats {
    return { kind: this.kind, ...(this.session?.guest.stats() ?? {}) };
  }

  onExit(listener: (exit: RunnerExit) => void): void {
    if (this.session) this.session.onExit(listener);
    else this.early.push(listener);
  }

  private async call<T>(hook: keyof GuestHooks, signal?: AbortSignal): Promise<T> {
    const session = this.session;
    if (!session) throw new Error(`runner of "${this.name}" was not started`);
    if (session.exit) throw new GuestExitError(session.exit);
    if (!this.hooks?.[hook]) return undefined as T;
    const ctx = this.ctx!;
    return session.bridge.request<T>(
      "hook",
      { hook, stats: { ...ctx.stats }, lease: leaseSnapshot(ctx) },
      signal,
    );
  }
}
