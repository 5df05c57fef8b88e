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

export type { DaemonLease } from "../registry/types.js";

/** Why a node stopped holding a lease. */
export type LeaseLossReason =
  /** The renewal deadline passed without a renewal (store unreachable, slow, or a stalled loop). */
  | "deadline"
  /** A renewal answered that the lease is no longer ours (expired and taken, or released). */
  | "lost"
  /** This node gave it up: shutdown, rebalancing, or the daemon was stopped. */
  | "released";
