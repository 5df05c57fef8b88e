/**
 * Events and subscriber cursors in SQL: the `events` table (seqs assigned by the database in
 * commit order, ids stored once) and `subscriber_cursors` (only moving forward), and trimming
 * events every cursor has passed.
 */
import type { Clock } from "../internal/clock.js";
import type { EventEnvelope } from "../registry/types.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { trimmablePrefix } from "./event-retention.js";
import { fromJson, toJson } from "./json.js";
import type { SqlBackend } from "./sql-backend.js";
import { chunks, cursorMovesForward, num, type SqlOp } from "./sql-rows.js";
import type { EventMethods } from "./types.js";

const DEFAULT_TRIM_BATCH = STORE_DEFAULTS.eventRetention.batch;

/**
 * The events part of the SQL store. `backend` orders appends (its event lock) and sends their
 * wake-up on `events`; `clock` stamps cursor updates.
 */
export function sqlEventMethods(op: SqlOp, backend: SqlBackend, clock: Clock): EventMethods {
  return {
    appendEvents: (events) =>
      op(async (db) => {
        if (events.length === 0) return [];
        const seqs = await db.transaction().execute(async (trx) => {
          await backend.lockEvents(trx);
          const byId = new Map<string, number>();
          for (const chunk of chunks(events, 100)) {
            const inserted = await trx
              .insertInto("events")
              .values(
                chunk.map((e) => ({
                  id: e.id,
                  type: e.type,
                  payload: toJson(e.payload),
                  source: e.source,
                  time: e.time,
                })),
              )
              .onConflict((oc) => oc.column("id").doNothing())
              .returning(["seq", "id"])
              .execute();
            for (const row of inserted) byId.set(row.id, num(row.seq));
          }
          const missing = events.map((e) => e.id).filter((id) => !byId.has(id));
          for (const chunk of chunks([...new Set(missing)])) {
            const rows = await trx
              .selectFrom("events")
              .select(["seq", "id"])
              .where("id", "in", chunk)
              .execute();
            for (const row of rows) byId.set(row.id, num(row.seq));
          }
          await backend.notifyIn(trx, "events");
          return events.map((e) => byId.get(e.id) as number);
        });
        backend.afterNotify?.("events");
        return seqs;
      }),

    readEvents: ({ afterSeq, types, limit }) =>
      op(async (db) => {
        if (types && types.length === 0) return [];
        let q = db.selectFrom("events").selectAll().where("seq", ">", afterSeq);
        if (types) q = q.where("type", "in", [...types]);
        const rows = await q.orderBy("seq").limit(limit).execute();
        return rows.map(
          (r): EventEnvelope<string> => ({
            id: r.id,
            type: r.type,
            payload: fromJson(r.payload) as never,
            source: r.source,
            time: num(r.time),
            seq: num(r.seq),
          }),
        );
      }),

    getCursor: (subscriber) =>
      op(async (db) => {
        const row = await db
          .selectFrom("subscriber_cursors")
          .select("seq")
          .where("subscriber", "=", subscriber)
          .executeTakeFirst();
        return row ? num(row.seq) : 0;
      }),

    setCursor: (subscriber, seq) =>
      op(async (db) => {
        const at = clock.now();
        await db
          .insertInto("subscriber_cursors")
          .values({ subscriber, seq, updated_at: at })
          .onConflict(cursorMovesForward)
          .execute();
      }),

    trimEvents: ({ maxAgeMs, maxRows, now, limit }) =>
      op(async (db) => {
        // Two short statements by primary key: the oldest `limit` seqs and times, then one range
        // delete of the prefix that may go. No scan of the table, whatever its size.
        const stats = await db
          .selectFrom("events")
          .select((eb) => eb.fn.max("seq").as("top"))
          .executeTakeFirst();
        if (stats?.top === null || stats?.top === undefined) return 0;
        const cursor = await db
          .selectFrom("subscriber_cursors")
          .select((eb) => eb.fn.min("seq").as("low"))
          .executeTakeFirst();
        const low = cursor?.low === null || cursor?.low === undefined ? null : num(cursor.low);
        const oldest = await db
          .selectFrom("events")
          .select(["seq", "time"])
          .orderBy("seq")
          .limit(limit ?? DEFAULT_TRIM_BATCH)
          .execute();
        const through = trimmablePrefix(
          oldest.map((r) => ({ seq: num(r.seq), time: num(r.time) })),
          { top: num(stats.top), low, maxAgeMs, maxRows, now },
        );
        if (through === null) return 0;
        const result = await db.deleteFrom("events").where("seq", "<=", through).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),
  };
}
