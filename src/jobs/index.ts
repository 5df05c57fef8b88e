export { retryDelay } from "./backoff.js";
export { JOB_SERVICE_DEFAULTS } from "./defaults.js";
export {
  JobCancelledError,
  JobLeaseLostError,
  JobPayloadError,
  JobServiceStoppingError,
  JobTimeoutError,
  UnknownJobTypeError,
} from "./errors.js";
export { createJobService, isTerminal, JOB_STATUSES } from "./service.js";
export type {
  JobListFilter,
  JobService,
  JobServiceOptions,
  JobStats,
  JobUpdate,
} from "./types.js";
