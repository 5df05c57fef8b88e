import type { ResolvedConfig, ResolvedDaemon } from "../config/resolve.js";
import type { HttpPort } from "../http/port.js";
import type { JobService } from "../jobs/index.js";
import type { NodeInfo } from "../registry/types.js";
import type { Store, StoreHealth } from "../store/types.js";
import type { LogEntry, LogQuery } from "../supervisor/log-ring.js";
import type { Manager } from "../supervisor/types.js";

/**
 * What tests (and only tests) may reach behind a manager's public handle. Not re-exported from
 * `src/index.ts`; the HTTP server gets its own port instead. Members read the runtime when used.
 */
export interface ManagerInspection {
  readonly node: NodeInfo;
  /** The current resolved config (after stored overrides, once the store opened). */
  readonly resolved: ResolvedConfig;
  /** The open store, once `start()` has opened it. */
  readonly store: Store | undefined;
  /** The job service, once `start()` has opened the store. */
  readonly jobs: JobService | undefined;
  storeHealth(): StoreHealth | undefined;
  queryLogs(query: LogQuery): Promise<LogEntry[]>;
  /** Saves operator overrides as the last config layer (see ConfigLayers.set). */
  setOverrides(name: string, patch: Record<string, unknown>): Promise<ResolvedDaemon>;
  /** The port the manager gives its HTTP server (to serve it by hand). */
  readonly httpPort: HttpPort;
}

const inspections = new WeakMap<object, ManagerInspection>();

/** Registers the inspection of `manager` (done once by createManager). */
export function registerInspection(manager: Manager, inspection: ManagerInspection): void {
  inspections.set(manager, inspection);
}

/** The inspection of a manager made by createManager; throws for anything else. */
export function inspectManager(manager: Manager): ManagerInspection {
  const found = inspections.get(manager);
  if (!found) throw new Error("not a manager made by createManager");
  return found;
}
