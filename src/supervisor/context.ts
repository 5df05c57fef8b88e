import type { Deferred } from "../internal/deferred.js";
import { sleep } from "../internal/sleep.js";
import type {
  DaemonContext,
  DaemonEvents,
  DaemonJobs,
  DaemonLease,
  DaemonLogger,
  DaemonStats,
  EventHandler,
  NodeInfo,
} from "../registry/types.js";
import { bindOwner, type Owner } from "./async-context.js";
import type { SupervisorHost } from "./daemon.js";

/** What a run's context needs from its supervisor. */
export interface ContextOwner {
  readonly host: SupervisorHost;
  readonly log: DaemonLogger;
  readonly stats: DaemonStats;
  /** Records a heartbeat from the daemon. */
  beat(details: Record<string, unknown> | null): void;
}

/**
 * The `ctx` of one run of a daemon. Its functions are made on first use, so a fleet of
 * thousands of small daemons pays only for what each one touches; they are bound, so
 * `const { sleep, log } = ctx` works.
 */
export class RunContext<C = Record<string, unknown>> implements DaemonContext<C> {
  /** Handlers attached through `events.subscribe`, detached when the run ends. */
  unsubscribers: Set<() => void> | undefined;
  /** Set once the daemon subscribes to anything this run. */
  subscribed = false;
  /** The run's context; a cycle's context (see {@link forCycle}) points back to it. */
  private root: RunContext<C> = this;
  /** The run's owner: handlers it subscribes run as it, whoever publishes (async-context.ts). */
  runOwner: Owner | undefined;
  /** The readiness signal of a `readiness: "manual"` daemon. */
  readyGate: Deferred<void> | undefined;
  readyCalled = false;
  private bound: {
    ready?: () => void;
    heartbeat?: (details?: Record<string, unknown>) => void;
    sleep?: (ms: number) => Promise<void>;
    events?: DaemonEvents;
  } = {};

  constructor(
    private owner: ContextOwner,
    readonly name: string,
    readonly config: Readonly<C>,
    /** Where the run's signal comes from: made on first use (`LazyAbort`, internal/lazy-abort.ts). */
    private readonly abortSource: { readonly signal: AbortSignal; readonly aborted: boolean },
  ) {}

  get signal(): AbortSignal {
    return this.abortSource.signal;
  }

  private jobsApi: DaemonJobs | undefined;
  /** Made on first use: most daemons never launch a job. */
  get jobs(): DaemonJobs {
    const root = this.root;
    root.jobsApi ??= this.owner.host.jobsFor(this.name);
    return root.jobsApi;
  }

  get log(): DaemonLogger {
    return this.owner.log;
  }
  get stats(): Readonly<DaemonStats> {
    return this.owner.stats;
  }
  get node(): NodeInfo {
    return this.owner.host.node;
  }
  get clock() {
    return this.owner.host.clock;
  }
  /** The cluster lease this run holds, for `scope: "cluster"` daemons. */
  get lease(): DaemonLease | undefined {
    return this.owner.host.leaseFor?.(this.name);
  }

  get ready(): () => void {
    this.bound.ready ??= () => {
      this.readyCalled = true;
      this.readyGate?.resolve();
    };
    return this.bound.ready;
  }

  get heartbeat(): (details?: Record<string, unknown>) => void {
    this.bound.heartbeat ??= (details) => this.owner.beat(details ?? null);
    return this.bound.heartbeat;
  }

  get sleep(): (ms: number) => Promise<void> {
    this.bound.sleep ??= (ms) => sleep(this.owner.host.clock, ms, this.signal);
    return this.bound.sleep;
  }

  get events(): DaemonEvents {
    this.bound.events ??= {
      publish: (type, payload, options) =>
        this.owner.host.bus.publish(type, payload, {
          source: this.name,
          ...(options?.id ? { id: options.id } : {}),
        }),
      subscribe: (type, handler) => {
        const root = this.root;
        if (root.abortSource.aborted) return () => {};
        root.subscribed = true;
        const off = this.owner.host.bus.attach(
          this.name,
          type,
          bindOwner(handler as EventHandler<string>, root.runOwner),
        );
        root.unsubscribers ??= new Set();
        root.unsubscribers.add(off);
        return () => {
          root.unsubscribers?.delete(off);
          off();
        };
      },
    };
    return this.bound.events;
  }

  /**
   * The context of one cycle with its own signal (aborted when the cycle overruns `cycleTimeout`
   * or the run stops): everything else is the run's, and its functions are bound to the cycle.
   */
  forCycle(signal: AbortSignal): RunContext<C> {
    return Object.create(this, {
      signal: { value: signal },
      bound: { value: {} },
    }) as RunContext<C>;
  }

  /** Detaches everything this run subscribed to. */
  detach(): void {
    if (!this.unsubscribers) return;
    for (const off of this.unsubscribers) off();
    this.unsubscribers.clear();
  }
}
