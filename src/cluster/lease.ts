/** Thrown by `ctx.lease.assertHeld()` once the lease is lost or past its renewal deadline. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
  constructor(
    readonly lease: string,
    readonly token: number,
  ) {
    super(`lease "${lease}" (token ${token}) is no longer held by this node`);
  }
}

/**
 * `ctx.lease` of a `scope: "cluster"` daemon (DESIGN.md §8). `token` is the fencing token of
 * this run: strictly greater than every earlier holder's, so a daemon that writes elsewhere passes
 * it along and a stale holder's writes can be rejected. `held()` asks the clock each time (not a
 * flag a stalled event loop could leave stale): true until the lease is lost or its renewal
 * deadline passes. `assertHeld()` throws {@link LeaseLostError} when `held()` is false.
 */
export interface DaemonLease {
  readonly name: string;
  readonly token: number;
  readonly holder: string;
  /** The current expiry in ms since the epoch; moves forward with each renewal. */
  readonly expiresAt: number;
  held(): boolean;
  assertHeld(): void;
}

/** Why a node stopped holding a lease. */
export type LeaseLossReason =
  /** The renewal deadline passed without a renewal (store unreachable, slow, or a stalled loop). */
  | "deadline"
  /** A renewal answered that the lease is no longer ours (expired and taken, or released). */
  | "lost"
  /** This node gave it up: shutdown, rebalancing, or the daemon was stopped. */
  | "released";
