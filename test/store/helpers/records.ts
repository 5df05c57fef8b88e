import type { DaemonRecord } from "../../../src/store/types.js";

/** The store tests' clock origin (2026-01-01). */
export const T0 = Date.UTC(2026, 0, 1);

/** A running `auto_sync` record on `node-a`, as the store suites write it; `over` replaces fields. */
export const daemonRecord = (over: Partial<DaemonRecord> = {}): DaemonRecord => ({
  name: "auto_sync",
  node: "node-a",
  state: "running",
  enabled: true,
  autoStart: true,
  restartCount: 0,
  lastError: null,
  startedAt: T0,
  lastHeartbeatAt: T0 + 5,
  heartbeatDetails: { files: 3 },
  updatedAt: T0 + 10,
  ...over,
});
