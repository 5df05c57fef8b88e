/**
 * The named errors of the registry and manager: `DoNotRestart` (a daemon asks not to be
 * restarted), `ConfigError` (one line per problem), `UnknownDaemonError`, `StateConflictError`.
 */
const DO_NOT_RESTART: unique symbol = Symbol.for("ringmaster.DoNotRestart") as never;

/**
 * Thrown by a daemon to say a restart cannot help (bad credentials, a missing file): the daemon
 * goes straight to `failed` instead of backing off.
 */
export class DoNotRestart extends Error {
  override name = "DoNotRestart";
  /** Marks instances across copies of the module (e.g. a config loaded from source and dist). */
  readonly [DO_NOT_RESTART] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static is(error: unknown): error is DoNotRestart {
    return (
      error instanceof DoNotRestart ||
      (typeof error === "object" &&
        error !== null &&
        (error as Record<symbol, unknown>)[DO_NOT_RESTART] === true)
    );
  }
}

/** Configuration that cannot be used: one line per problem in `problems`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} configuration problems:\n  ${problems.join("\n  ")}`,
    );
  }
}

/** A daemon name the manager does not know, with a suggestion when one is close. */
export class UnknownDaemonError extends Error {
  override name = "UnknownDaemonError";
  constructor(
    readonly daemon: string,
    readonly suggestion?: string,
  ) {
    super(`unknown daemon "${daemon}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
  }
}

/** An operation that the daemon's current state does not allow, e.g. resuming a stopped daemon. */
export class StateConflictError extends Error {
  override name = "StateConflictError";
  constructor(
    readonly daemon: string,
    readonly state: string,
    readonly operation: string,
  ) {
    super(`cannot ${operation} ${daemon}: it is ${state}`);
  }
}
