/**
 * Nodes and daemon records in SQL: the `nodes` and `daemons` tables (the manager processes
 * sharing the database, and what each last knew about each daemon).
 */
import { sql } from "kysely";
import { daemonKey } from "./daemon-key.js";
import { fromJson, toJson } from "./json.js";
import { bool, chunks, ms, msOrNull, num, numOrNull, type SqlOp, timeWriter } from "./sql-rows.js";
import type { DaemonHeartbeat, DaemonRecord, NodeMethods, NodeRecord } from "./types.js";

/**
 * The stored heartbeat is newer than the upserted record's: it stays, with its details. A record
 * without a heartbeat (null: compares as unknown) clears it, as before.
 */
const STORED_BEAT_NEWER = sql`daemons.last_heartbeat_at > excluded.last_heartbeat_at`;

/**
 * The nodes and daemon records part of the SQL store. The daemon record's times are `timestamptz`
 * on PostgreSQL (ms on SQLite); they go in and come out as ms.
 */
export function sqlNodeMethods(kind: "sqlite" | "postgres", op: SqlOp): NodeMethods {
  const time = timeWriter(kind);
  const timeOrNull = (at: number | null) => (at === null ? null : time(at));
  return {
    upsertNode: (node) =>
      op(async (db) => {
        await db
          .insertInto("nodes")
          .values({
            id: node.id,
            host: node.host,
            pid: node.pid,
            profile: node.profile,
            started_at: node.startedAt,
            last_heartbeat_at: node.lastHeartbeatAt,
            url: node.url ?? null,
          })
          .onConflict((oc) =>
            oc.column("id").doUpdateSet((eb) => ({
              host: eb.ref("excluded.host"),
              pid: eb.ref("excluded.pid"),
              profile: eb.ref("excluded.profile"),
              started_at: eb.ref("excluded.started_at"),
              last_heartbeat_at: eb.ref("excluded.last_heartbeat_at"),
              url: eb.ref("excluded.url"),
            })),
          )
          .execute();
      }),

    heartbeatNode: (id, at) =>
      op(async (db) => {
        await db
          .updateTable("nodes")
          .set({ last_heartbeat_at: at })
          .where("id", "=", id)
          .where((eb) =>
            eb.or([eb("last_heartbeat_at", "is", null), eb("last_heartbeat_at", "<", at)]),
          )
          .execute();
      }),

    listNodes: () =>
      op(async (db) => {
        const rows = await db.selectFrom("nodes").selectAll().orderBy("started_at").execute();
        return rows.map(
          (r): NodeRecord => ({
            id: r.id,
            host: r.host,
            pid: num(r.pid),
            profile: r.profile,
            startedAt: num(r.started_at),
            lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
            url: r.url ?? null,
          }),
        );
      }),

    saveDaemons: (records) =>
      op(async (db) => {
        // One row per (node, name) per statement: PostgreSQL refuses to upsert a row twice.
        for (const chunk of chunks(newestPerDaemon(records, (r) => r.updatedAt))) {
          await db
            .insertInto("daemons")
            .values(
              chunk.map((r) => ({
                node_id: r.node,
                name: r.name,
                state: r.state,
                enabled: r.enabled ? 1 : 0,
                auto_start: r.autoStart ? 1 : 0,
                restart_count: r.restartCount,
                last_error: r.lastError,
                started_at: timeOrNull(r.startedAt),
                last_heartbeat_at: timeOrNull(r.lastHeartbeatAt),
                heartbeat_details: r.heartbeatDetails === null ? null : toJson(r.heartbeatDetails),
                updated_at: time(r.updatedAt),
              })),
            )
            .onConflict((oc) =>
              oc
                .columns(["node_id", "name"])
                .doUpdateSet((eb) => ({
                  state: eb.ref("excluded.state"),
                  enabled: eb.ref("excluded.enabled"),
                  auto_start: eb.ref("excluded.auto_start"),
                  restart_count: eb.ref("excluded.restart_count"),
                  last_error: eb.ref("excluded.last_error"),
                  started_at: eb.ref("excluded.started_at"),
                  last_heartbeat_at: sql`case when ${STORED_BEAT_NEWER} then daemons.last_heartbeat_at else excluded.last_heartbeat_at end`,
                  heartbeat_details: sql`case when ${STORED_BEAT_NEWER} then daemons.heartbeat_details else excluded.heartbeat_details end`,
                  updated_at: eb.ref("excluded.updated_at"),
                }))
                .where("daemons.updated_at", "<=", (eb) => eb.ref("excluded.updated_at")),
            )
            .execute();
        }
      }),

    saveDaemonHeartbeats: heartbeatWriter(kind, op),

    loadDaemons: (node) =>
      op(async (db) => {
        let query = db.selectFrom("daemons").selectAll();
        if (node !== undefined) query = query.where("node_id", "=", node);
        const rows = await query.orderBy("node_id").orderBy("name").execute();
        return rows.map(
          (r): DaemonRecord => ({
            name: r.name,
            node: r.node_id,
            state: r.state,
            enabled: bool(r.enabled),
            autoStart: bool(r.auto_start),
            restartCount: num(r.restart_count),
            lastError: r.last_error,
            startedAt: msOrNull(r.started_at),
            lastHeartbeatAt: msOrNull(r.last_heartbeat_at),
            heartbeatDetails: fromJson(r.heartbeat_details) as Record<string, unknown> | null,
            updatedAt: ms(r.updated_at),
          }),
        );
      }),
  };
}

/** `saveDaemonHeartbeats`: only the heartbeat columns of records already stored. */
function heartbeatWriter(
  kind: "sqlite" | "postgres",
  op: SqlOp,
): NodeMethods["saveDaemonHeartbeats"] {
  const time = timeWriter(kind);
  return (heartbeats) =>
    op(async (db) => {
      // One UPDATE per chunk, the heartbeats as a VALUES list joined to their records.
      for (const chunk of chunks(newestPerDaemon(heartbeats, (h) => h.at))) {
        const values = chunk.map((h) => {
          const details = h.details === null ? null : toJson(h.details);
          return kind === "postgres"
            ? sql`(${h.node}::text, ${h.name}::text, ${time(h.at)}::timestamptz, ${details}::text)`
            : sql`(${h.node}, ${h.name}, ${h.at}, ${details})`;
        });
        await sql`with beats (node_id, name, at, details) as (values ${sql.join(values)})
          update daemons set last_heartbeat_at = beats.at, heartbeat_details = beats.details
          from beats
          where daemons.node_id = beats.node_id and daemons.name = beats.name
            and (daemons.last_heartbeat_at is null or daemons.last_heartbeat_at <= beats.at)`.execute(
          db,
        );
      }
    });
}

/** The newest of `rows` for each daemon record (by `at`; the later of equals wins). */
function newestPerDaemon<T extends { node: string; name: string }>(
  rows: readonly T[],
  at: (row: T) => number,
): T[] {
  const newest = new Map<string, T>();
  for (const row of rows) {
    const key = daemonKey(row.node, row.name);
    const seen = newest.get(key);
    if (!seen || at(seen) <= at(row)) newest.set(key, row);
  }
  return [...newest.values()];
}
