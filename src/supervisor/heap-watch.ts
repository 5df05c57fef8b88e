import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Logger } from "pino";
import { formatSize } from "../registry/size.js";
import { runUnowned } from "./async-context.js";
import type { DaemonSupervisor } from "./daemon.js";

// The heap watch (DESIGN.md §11): inline daemons share one heap, and a leak in one ends, once
// the heap is full, in an abort of the whole process that no handler can catch. So the heap is
// sampled and, past `maxHeap`, the manager acts before V8 runs out: it names the daemons whose
// cycles grew the heap and fails the one that grew it most (it restarts by its policy, and what
// its run held is freed). Per-daemon allocation cannot be measured inline: the figure is the
// growth of the shared heap across each daemon's cycles, measured only once the heap is past half
// of `maxHeap` (a check of one flag per cycle otherwise). `isolation: "worker"` with `maxMemory`
// measures and bounds a daemon exactly.

/** Read by the cycle runner: whether to measure heap growth across cycles now. */
export const heapProbe = { on: false };

/** Bytes of heap in use now. */
export function heapUsed(): number {
  return getHeapStatistics().used_heap_size;
}

let gc: (() => void) | undefined;
/** A full garbage collection now (only past `maxHeap`: it blocks the loop for its duration). */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

/** Samples the heap every `interval` ms; returns the function that stops it. */
export function watchHeap(
  daemons: () => Iterable<DaemonSupervisor>,
  logger: Logger,
  maxHeap: number,
  interval: number,
): () => void {
  const timer = runUnowned(() =>
    setInterval(() => {
      const used = heapUsed();
      heapProbe.on = used > maxHeap / 2;
      // What is in use includes garbage V8 has not collected yet: collect it before blaming.
      if (used > maxHeap && (collectGarbage(), heapUsed()) > maxHeap) act(heapUsed());
    }, interval),
  );
  timer.unref();

  function act(used: number): void {
    const grew = [...daemons()]
      .filter((d) => d.heapGrowth > 0)
      .sort((a, b) => b.heapGrowth - a.heapGrowth);
    const total = grew.reduce((sum, d) => sum + d.heapGrowth, 0);
    const list = grew
      .slice(0, 5)
      .map((d) => `${d.name} (+${formatSize(d.heapGrowth)})`)
      .join(", ");
    logger.warn(
      `heap ${formatSize(used)} is over maxHeap ${formatSize(maxHeap)}; grown across their cycles by: ${list || "no daemon's cycles"}. Per-daemon allocation is not measurable inline (inline daemons share one heap): run a suspect with isolation: "worker" and maxMemory to measure and bound it`,
    );
    const top = grew[0];
    const topGrowth = top?.heapGrowth ?? 0;
    for (const d of grew) d.heapGrowth = 0;
    if (!top?.run || topGrowth <= 0) return;
    top.fail(
      top.run,
      new Error(
        `heap ${formatSize(used)} over maxHeap ${formatSize(maxHeap)}; its cycles grew the heap most (+${formatSize(topGrowth)} of +${formatSize(total)}); inline daemons share one heap, so isolation: "worker" with maxMemory bounds it exactly`,
      ),
      "memory",
    );
  }
  return () => {
    clearInterval(timer);
    heapProbe.on = false;
  };
}
