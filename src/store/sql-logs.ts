/**
 * Daemon logs in SQL: the `daemon_logs` table, appended in batches, queried by daemon, level and
 * time, and trimmed to the retention by the sweeper.
 */
import type { LogLevel } from "../registry/types.js";
import { fromJson, toJson } from "./json.js";
import { chunks, num, type SqlOp } from "./sql-rows.js";
import { LOG_LEVEL_NUMBERS, type LogMethods } from "./types.js";

/** The logs part of the SQL store. */
export function sqlLogMethods(op: SqlOp): LogMethods {
  return {
    appendLogs: (rows) =>
      op(async (db) => {
        for (const chunk of chunks(rows)) {
          await db
            .insertInto("daemon_logs")
            .values(
              chunk.map((r) => ({
                time: r.time,
                daemon: r.daemon,
                node_id: r.node ?? null,
                level: r.level,
                level_no: LOG_LEVEL_NUMBERS[r.level] ?? LOG_LEVEL_NUMBERS.info,
                message: String(r.message),
                fields: r.fields && Object.keys(r.fields).length > 0 ? toJson(r.fields) : null,
              })),
            )
            .execute();
        }
      }),

    queryLogs: (query = {}) =>
      op(async (db) => {
        const order = query.order ?? "desc";
        let q = db.selectFrom("daemon_logs").selectAll();
        if (query.daemon !== undefined) q = q.where("daemon", "=", query.daemon);
        if (query.level !== undefined)
          q = q.where("level_no", ">=", LOG_LEVEL_NUMBERS[query.level]);
        if (query.since !== undefined) q = q.where("time", ">=", query.since);
        if (query.until !== undefined) q = q.where("time", "<", query.until);
        const rows = await q
          .orderBy("time", order)
          .orderBy("id", order)
          .limit(query.limit ?? 1000)
          .execute();
        return rows.map((r) => ({
          id: num(r.id),
          time: num(r.time),
          daemon: r.daemon,
          level: r.level as LogLevel,
          message: r.message,
          fields: (fromJson(r.fields) as Record<string, unknown> | null) ?? {},
          node: r.node_id,
        }));
      }),

    trimLogs: ({ maxRowsPerDaemon, maxAgeMs, now }) =>
      op(async (db) => {
        let removed = 0;
        if (Number.isFinite(maxAgeMs)) {
          const result = await db
            .deleteFrom("daemon_logs")
            .where("time", "<", now - maxAgeMs)
            .executeTakeFirst();
          removed += Number(result.numDeletedRows);
        }
        if (Number.isFinite(maxRowsPerDaemon)) {
          const keep = Math.max(0, Math.floor(maxRowsPerDaemon));
          const daemons = await db
            .selectFrom("daemon_logs")
            .select("daemon")
            .groupBy("daemon")
            .having((eb) => eb.fn.countAll(), ">", keep)
            .execute();
          for (const { daemon } of daemons) {
            // Keep the newest `keep` rows (by id, the insertion order).
            let del = db.deleteFrom("daemon_logs").where("daemon", "=", daemon);
            if (keep > 0) {
              del = del.where("id", "<=", (eb) =>
                eb
                  .selectFrom("daemon_logs")
                  .select("id")
                  .where("daemon", "=", daemon)
                  .orderBy("id", "desc")
                  .limit(1)
                  .offset(keep),
              );
            }
            const result = await del.executeTakeFirst();
            removed += Number(result.numDeletedRows);
          }
        }
        return removed;
      }),
  };
}
