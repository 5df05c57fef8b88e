/**
 * Dead letters in SQL: the `dead_letters` table, each row with its own copy of the event, so
 * trimming events never loses one.
 */

import type { Selectable } from "kysely";
import type { DeadLetter } from "../events/types.js";
import type { EventEnvelope } from "../registry/types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import { num, type SqlOp } from "./sql-rows.js";
import type { DeadLetterMethods } from "./types.js";

/** The dead letters part of the SQL store. */
export function sqlDeadLetterMethods(op: SqlOp): DeadLetterMethods {
  return {
    addDeadLetter: (letter) =>
      op(async (db) => {
        await db
          .insertInto("dead_letters")
          .values({
            id: letter.id,
            subscriber: letter.subscriber,
            reason: letter.reason,
            error: letter.error,
            attempts: letter.attempts,
            at: letter.at,
            event_id: letter.event.id,
            event: toJson(letter.event),
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .execute();
      }),

    listDeadLetters: (query = {}) =>
      op(async (db) => {
        let q = db.selectFrom("dead_letters").selectAll();
        if (query.subscriber !== undefined) q = q.where("subscriber", "=", query.subscriber);
        const rows = await q
          .orderBy("at")
          .orderBy("id")
          .limit(query.limit ?? 1000)
          .execute();
        return rows.map(toLetter);
      }),

    getDeadLetter: (id) =>
      op(async (db) => {
        const row = await db
          .selectFrom("dead_letters")
          .selectAll()
          .where("id", "=", id)
          .executeTakeFirst();
        return row ? toLetter(row) : null;
      }),

    removeDeadLetter: (id) =>
      op(async (db) => {
        const result = await db.deleteFrom("dead_letters").where("id", "=", id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      }),
  };
}

function toLetter(r: Selectable<Database["dead_letters"]>): DeadLetter {
  return {
    id: r.id,
    subscriber: r.subscriber,
    reason: r.reason as DeadLetter["reason"],
    error: r.error,
    attempts: num(r.attempts),
    at: num(r.at),
    event: fromJson(r.event) as EventEnvelope<string>,
  };
}
