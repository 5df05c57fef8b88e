/**
 * The lease statements of the SQL cluster store: acquiring (a fresh row, or one expired or
 * released, with its fencing token incremented), renewing all of a holder's leases in one
 * statement, releasing one or all of a holder's, the list, and the cursor write fenced by a lease.
 * Each is a single conditional statement, so racing holders are arbitrated by the row lock alone.
 */
import { sql } from "kysely";
import type { ClusterLeaseRow, ClusterStore, HeldLeaseRef } from "./cluster-types.js";
import type { ClusterRun } from "./sql-cluster-rows.js";
import { cursorMovesForward, num } from "./sql-rows.js";

export type ClusterLeaseMethods = Pick<
  ClusterStore,
  | "acquireLease"
  | "renewLeases"
  | "releaseLease"
  | "releaseHolder"
  | "listLeases"
  | "setFencedCursor"
>;

export function sqlClusterLeaseMethods(run: ClusterRun): ClusterLeaseMethods {
  return {
    acquireLease: (name, holder, ttlMs, now) =>
      run(async (db) => {
        const row = await db
          .insertInto("leases")
          .values({ name, holder, token: 1, expires_at: now + ttlMs, acquired_at: now })
          .onConflict((oc) =>
            oc
              .column("name")
              .doUpdateSet({
                holder,
                expires_at: now + ttlMs,
                token: sql<number>`leases.token + 1`,
                acquired_at: now,
              })
              .where("leases.expires_at", "<=", now),
          )
          .returning("token")
          .executeTakeFirst();
        return row ? num(row.token) : null;
      }),

    renewLeases: (holder, leases, ttlMs, now) =>
      run(async (db) => {
        if (leases.length === 0) return [];
        const rows = await db
          .updateTable("leases")
          .set({ expires_at: now + ttlMs })
          .where("holder", "=", holder)
          .where("expires_at", ">", now)
          .where((eb) =>
            eb.or(leases.map((l) => eb.and([eb("name", "=", l.name), eb("token", "=", l.token)]))),
          )
          .returning(["name", "token"])
          .execute();
        return rows.map((r): HeldLeaseRef => ({ name: r.name, token: num(r.token) }));
      }),

    releaseLease: (name, holder, token) =>
      run(async (db) => {
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

    releaseHolder: (holder) =>
      run(async (db) => {
        const result = await db
          .updateTable("leases")
          .set({ expires_at: 0 })
          .where("holder", "=", holder)
          .where("expires_at", ">", 0)
          .executeTakeFirst();
        return Number(result.numUpdatedRows);
      }),

    listLeases: () =>
      run(async (db) => {
        const rows = await db.selectFrom("leases").selectAll().orderBy("name").execute();
        return rows.map(
          (r): ClusterLeaseRow => ({
            name: r.name,
            holder: r.holder,
            token: num(r.token),
            expiresAt: num(r.expires_at),
            acquiredAt: num(r.acquired_at),
          }),
        );
      }),

    setFencedCursor: (subscriber, seq, fence, now) =>
      run(async (db) => {
        const result = await db
          .insertInto("subscriber_cursors")
          .columns(["subscriber", "seq", "updated_at"])
          .expression((eb) =>
            eb
              .selectFrom("leases")
              .select([
                sql<string>`cast(${subscriber} as text)`.as("subscriber"),
                sql<number>`cast(${seq} as bigint)`.as("seq"),
                sql<number>`cast(${now} as bigint)`.as("updated_at"),
              ])
              .where("name", "=", fence.name)
              .where("holder", "=", fence.holder)
              .where("token", "=", fence.token)
              .where("expires_at", ">", now),
          )
          .onConflict(cursorMovesForward)
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
      }),
  };
}
