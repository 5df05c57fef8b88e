import type { DaemonSpec, HealthResult } from "../registry/types.js";
import type {
  DaemonRunner,
  HostContext,
  RunnerExit,
  RunnerStats,
  RunnerStopResult,
} from "./types.js";

/**
 * An inline daemon as a {@link DaemonRunner}: its hooks run on the manager's own event loop with
 * the host's `ctx` itself. It never exits on its own, and `stop` has nothing to end.
 */
export class InlineRunner implements DaemonRunner {
  readonly kind = "inline" as const;
  private ctx: HostContext | undefined;

  constructor(private spec: DaemonSpec) {}

  async start(ctx: HostContext): Promise<void> {
    this.ctx = ctx;
    await this.spec.setup?.(ctx);
  }
  async cycle(ctx: HostContext): Promise<void> {
    await this.spec.cycle?.(ctx);
  }
  async run(): Promise<void> {
    await this.spec.run?.(this.context());
  }
  async health(): Promise<HealthResult | undefined> {
    return await this.spec.health?.(this.context());
  }
  async cleanup(): Promise<void> {
    await this.spec.cleanup?.(this.context());
  }
  async stop(): Promise<RunnerStopResult> {
    return { graceful: true, forced: null, durationMs: 0 };
  }
  stats(): RunnerStats {
    return { kind: "inline", pid: process.pid };
  }
  onExit(_listener: (exit: RunnerExit) => void): void {}

  private context(): HostContext {
    if (!this.ctx) throw new Error(`runner of "${this.spec.name}" was not started`);
    return this.ctx;
  }
}
