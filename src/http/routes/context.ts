import type { Metrics } from "../metrics.js";
import type { HttpPort, ManagerView } from "../port.js";
import type { ConfigOverrides, JobsApi } from "../seams.js";
import type { StreamHub } from "../stream.js";
import type { TransitionLog } from "../transitions.js";

/** What every route module receives. */
export interface ServerContext {
  port: HttpPort;
  manager: ManagerView;
  hub: StreamHub;
  transitions: TransitionLog;
  overrides: ConfigOverrides;
  jobs: JobsApi | undefined;
  metrics: Metrics;
}
