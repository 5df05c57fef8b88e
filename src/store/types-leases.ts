/**
 * Leases: named, expiring locks with fencing tokens, so one holder at a time acts for a name
 * across processes sharing the store. Declared here, part of the `Store`.
 */

export interface LeaseRecord {
  name: string;
  holder: string;
  token: number;
  expiresAt: number;
}

/** The leases part of the `Store`. Fencing tokens only increase, per lease name. */
export interface LeaseMethods {
  /**
   * Takes lease `name` for `holder` until `now + ttlMs` if it is free, expired, or already held by
   * `holder`. Returns the fencing token, or null if another holder has it. The token is unchanged
   * while the same holder keeps the lease, and greater than every earlier token otherwise.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<number | null>;
  /** Extends a lease still held with this token; false if it expired or was taken. */
  renewLease(
    name: string,
    holder: string,
    token: number,
    ttlMs: number,
    now: number,
  ): Promise<boolean>;
  /** Gives the lease up at once (the next holder gets a greater token); false if not held. */
  releaseLease(name: string, holder: string, token: number): Promise<boolean>;
  getLease(name: string): Promise<LeaseRecord | null>;
}
