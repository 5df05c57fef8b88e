/**
 * `ringmaster/testing`: test one's own daemons on a manager with the memory store and a manual
 * clock (`createTestManager`), and drive any manual clock until work is done.
 */
export type { Clock, ManualClock } from "../index.js";
export { createManualClock } from "../index.js";
export type { LaunchedJob } from "./capture.js";
export { drive, driveUntil } from "./drive.js";
export type {
  CapturedLog,
  CycleOutcome,
  TestManager,
  TestManagerOptions,
} from "./test-manager.js";
export { createTestManager } from "./test-manager.js";
