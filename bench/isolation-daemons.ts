/**
 * The daemons `bench/isolation.ts` runs in worker threads and child processes. `crasher` is
 * ready when setup resolves and exits with code 1 `CRASH_AFTER` ms into its run, logging the
 * wall-clock time of the crash; `idle` is ready at once and waits to be stopped.
 */
import { defineDaemon } from "../src/registry/define.js";

const now = () => performance.timeOrigin + performance.now();

export const crasher = defineDaemon({
  name: "crasher",
  run(ctx) {
    const after = Number((ctx.config as { crashAfter?: number }).crashAfter ?? 100);
    setTimeout(() => {
      ctx.log.info("crash", { at: now() });
      // Give the log line a moment to cross the channel before the exit does.
      setTimeout(() => process.exit(1), 1);
    }, after);
    return new Promise<void>(() => {});
  },
});

export const idle = defineDaemon({
  name: "idle",
  run: (ctx) =>
    new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
});
