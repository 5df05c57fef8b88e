/**
 * A store that cannot be used: a malformed URL, a database that is unreachable at start-up, a
 * SQLite path that is not writable, a database written by a newer ringmaster. The message is one
 * line: which store (URL with the password redacted), what failed, and what to do.
 */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    /** The store URL, password redacted. */
    readonly url: string,
    /** What failed, e.g. `cannot connect (connect ECONNREFUSED 127.0.0.1:1)`. */
    readonly problem: string,
    /** What to do about it. */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`store ${url}: ${problem}; ${hint}`.replace(/\s*\n\s*/g, " "), options);
  }
}

/**
 * A write the store cannot take now: the database is unreachable and the outage buffer (memory,
 * then the local spool file) is full. Nothing was kept; the caller decides whether to retry.
 * Every refusal is counted in the store's health (`refused`).
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  constructor(
    /** What was refused, e.g. `event DATA_SYNC_COMPLETED`. */
    readonly what: string,
    /** Why, e.g. `the spool /x/spool-n.db is full (1024 MB)`. */
    readonly reason: string,
  ) {
    super(`store unavailable: ${what} refused, ${reason}`);
  }
}
