import { coerceError } from "../internal/errors.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { formatDuration } from "../registry/duration.js";
import type { EscapeKind } from "../supervisor/async-context.js";
import { contain } from "../supervisor/containment.js";
import { watchHeap } from "../supervisor/heap-watch.js";
import { watchStalls } from "../supervisor/stall-watch.js";
import type { Part } from "./lifecycle.js";
import type { Runtime } from "./runtime.js";

/** What containment has seen in this manager's life (for `/metrics`). */
export interface ContainmentCounts {
  /** Errors that escaped code no daemon or job owns. */
  uncaughtErrors: number;
  /** Stalls of the event loop no daemon or job owned. */
  unownedStalls: number;
}

export interface ContainmentOptions {
  /** `true`: contain, log and count unowned errors; `"shutdown"`: they shut down; `false`: off. */
  mode: boolean | "shutdown";
  counts: ContainmentCounts;
  /** Shuts the manager down cleanly (for `mode: "shutdown"`). */
  shutdown(cause: string): void;
}

const HOW: Record<EscapeKind, string> = {
  uncaughtException: "uncaught exception",
  unhandledRejection: "unhandled rejection",
};

/**
 * Containment of inline daemons (DESIGN.md §11), started before the daemons and stopped after
 * them: the process's `uncaughtException` / `unhandledRejection` handlers (unless `mode` is
 * false: a host that owns them keeps them), the stall watch, and the heap watch when `maxHeap`
 * is set. Whatever a daemon or job owns is handled by its owner (supervisor/owner.ts); this part
 * only handles what no one owns.
 */
export function containmentPart(rt: Runtime, options: ContainmentOptions): Part {
  const { counts } = options;
  const stops: Array<() => void> = [];
  let shuttingDown = false;
  return {
    name: "containment",
    start() {
      if (options.mode !== false) {
        stops.push(
          contain({
            unowned(error, how) {
              counts.uncaughtErrors++;
              rt.logger.error(
                { err: error, stack: error.stack },
                `${HOW[how]} in code no daemon owns: ${error.message}`,
              );
              if (options.mode === "shutdown" && !shuttingDown) {
                shuttingDown = true;
                options.shutdown(`${HOW[how]}: ${coerceError(error).message}`);
              }
            },
          }),
        );
      }
      const threshold = rt.config.stallThreshold;
      stops.push(
        watchStalls(
          {
            threshold,
            unowned(ms) {
              counts.unownedStalls++;
              rt.logger.warn(
                `the event loop was blocked for ${formatDuration(ms)} by code no daemon owns (stallThreshold ${formatDuration(threshold)})`,
              );
            },
          },
          MANAGER_DEFAULTS.stallCheckInterval,
        ),
      );
      const { maxHeap } = rt.config;
      if (maxHeap !== undefined)
        stops.push(
          watchHeap(
            () => rt.tree.supervisors.values(),
            rt.logger,
            maxHeap,
            MANAGER_DEFAULTS.heapSampleInterval,
          ),
        );
    },
    stop() {
      for (const stop of stops.splice(0).reverse()) stop();
    },
  };
}
