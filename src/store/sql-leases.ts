/**
 * Leases in SQL: the `leases` table, where taking, renewing and releasing a lease is each one
 * conditional statement, so fencing tokens only increase even between processes.
 */
import { sql } from "kysely";
import { num, type SqlOp } from "./sql-rows.js";
import type { LeaseMethods } from "./types.js";

/** The leases part of the SQL store. */
export function sqlLeaseMethods(op: SqlOp): LeaseMethods {
  return {
    acquireLease: (name, holder, ttlMs, now) =>
      op(async (db) => {
        const held = sql<boolean>`leases.holder = ${holder} and leases.expires_at > ${now}`;
        const row = await db
          .insertInto("leases")
          .values({ name, holder, token: 1, expires_at: now + ttlMs, acquired_at: now })
          .onConflict((oc) =>
            oc
              .column("name")
              .doUpdateSet({
                holder,
                expires_at: now + ttlMs,
                // Same holder, still valid: same token. Anyone else (or after expiry): a greater one.
                token: sql<number>`case when ${held} then leases.token else leases.token + 1 end`,
                acquired_at: sql<number>`case when ${held} then leases.acquired_at else ${now} end`,
              })
              .where((eb) =>
                eb.or([eb("leases.holder", "=", holder), eb("leases.expires_at", "<=", now)]),
              ),
          )
          .returning("token")
          .executeTakeFirst();
        return row ? num(row.token) : null;
      }),

    renewLease: (name, holder, token, ttlMs, now) =>
      op(async (db) => {
        const result = await db
          .updateTable("leases")
          .set({ expires_at: now + ttlMs })
          .where("name", "=", name)
          .where("holder", "=", holder)
          .where("token", "=", token)
          .where("expires_at", ">", now)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    releaseLease: (name, holder, token) =>
      op(async (db) => {
        const result = await db
          .updateTable("leases")
          .set({ expires_at: 0 })
          .where("name", "=", name)
          .where("holder", "=", holder)
          .where("token", "=", token)
          .where("expires_at", ">", 0)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    getLease: (name) =>
      op(async (db) => {
        const row = await db
          .selectFrom("leases")
          .selectAll()
          .where("name", "=", name)
          .executeTakeFirst();
        return row
          ? {
              name: row.name,
              holder: row.holder,
              token: num(row.token),
              expiresAt: num(row.expires_at),
            }
          : null;
      }),
  };
}
