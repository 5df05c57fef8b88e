import type { Logger } from "pino";
import { coerceError, describeError } from "../internal/errors.js";
import { interruptCounter } from "../internal/interrupts.js";
import { stallWatchGone } from "../supervisor/stall-watch.js";
import type { ShutdownReport } from "../supervisor/types.js";

/**
 * SIGTERM/SIGINT shut down gracefully; a second signal exits at once (one within a second of the
 * first is the same interrupt relayed twice, see `internal/interrupts.ts`).
 */
export function installSignalHandlers(
  shutdown: () => Promise<ShutdownReport>,
  logger: Logger,
): void {
  const interrupt = interruptCounter();
  const onSignal = (signal: NodeJS.Signals) => {
    const kind = interrupt();
    if (kind === "duplicate") return;
    if (kind === "again") {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    logger.info(`${signal}: shutting down (send it again to exit at once)`);
    shutdown().then(
      async (report) => {
        await stallWatchGone();
        process.exit(report.unstopped.length === 0 ? 0 : 1);
      },
      (error) => {
        logger.error({ err: error }, `shutdown failed: ${describeError(coerceError(error))}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
