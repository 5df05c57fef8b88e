import type { ManagerInternals } from "../../supervisor/manager.js";
import type { Manager } from "../../supervisor/types.js";
import type { Metrics } from "../metrics.js";
import type { ConfigOverrides, JobsApi } from "../seams.js";
import type { StreamHub } from "../stream.js";
import type { TransitionLog } from "../transitions.js";

/** What every route module receives. */
export interface ServerContext {
  manager: Manager;
  internals: ManagerInternals;
  hub: StreamHub;
  transitions: TransitionLog;
  overrides: ConfigOverrides;
  jobs: JobsApi | undefined;
  metrics: Metrics;
}
