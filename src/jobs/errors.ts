/** A job type no `defineJob` in the config declares. */
export class UnknownJobTypeError extends Error {
  override name = "UnknownJobTypeError";
  constructor(
    readonly type: string,
    readonly suggestion?: string,
  ) {
    super(`unknown job type "${type}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
  }
}

/** A payload its job type's zod schema refuses, rejected at launch. */
export class JobPayloadError extends Error {
  override name = "JobPayloadError";
  constructor(
    readonly type: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid payload for job "${type}": ${issues.join("; ")}`);
  }
}

/** The reason a job's signal aborts when it is cancelled; the job ends `cancelled`. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
}

/** The reason a job's signal aborts when its attempt runs past `timeout`; the attempt fails. */
export class JobTimeoutError extends Error {
  override name = "JobTimeoutError";
}

/** The reason a job's signal aborts when its worker lost the lease (another worker has it now). */
export class JobLeaseLostError extends Error {
  override name = "JobLeaseLostError";
}

/** The reason a job's signal aborts when its worker shuts down; the job goes back to `pending`. */
export class JobServiceStoppingError extends Error {
  override name = "JobServiceStoppingError";
}
