import type { Logger } from "pino";
import { coerceError, describeError } from "../internal/errors.js";
import type { ShutdownReport } from "../supervisor/types.js";

/** SIGTERM/SIGINT shut down gracefully; a second signal exits at once. */
export function installSignalHandlers(
  shutdown: () => Promise<ShutdownReport>,
  logger: Logger,
): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    logger.info(`${signal}: shutting down (send it again to exit at once)`);
    shutdown().then(
      (report) => process.exit(report.unstopped.length === 0 ? 0 : 1),
      (error) => {
        logger.error({ err: error }, `shutdown failed: ${describeError(coerceError(error))}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
