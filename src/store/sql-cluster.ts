/**
 * The cluster half of the SQL store (`Store.cluster`, DESIGN.md §8): node rows, leases with fencing
 * tokens and the fenced cursor of cluster subscribers, each write one conditional statement.
 */
import { type Kysely, sql } from "kysely";
import type {
  ClusterLeaseRow,
  ClusterNode,
  ClusterNodeRow,
  ClusterStore,
  HeldLeaseRef,
} from "./cluster-types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import { cursorMovesForward, num, numOrNull, type SqlOp } from "./sql-rows.js";

/** The tables as migration 0004 leaves them. */
export type ClusterDatabase = Omit<Database, "nodes"> & {
  nodes: Database["nodes"] & {
    instance: string | null;
    stopped_at: number | null;
    candidates: string | null;
  };
};

/** Per-node cursors are `subscriber_cursors` rows keyed `<subscriber>@<node>`. */
export const NODE_CURSOR_SEPARATOR = "@";

function nodeFromRow(r: ClusterDatabase["nodes"]): ClusterNodeRow {
  return {
    id: r.id,
    host: r.host,
    pid: num(r.pid),
    profile: r.profile,
    url: r.url ?? null,
    instance: r.instance ?? "",
    candidates: (fromJson(r.candidates) as string[] | null) ?? [],
    startedAt: num(r.started_at),
    lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
    stoppedAt: numOrNull(r.stopped_at),
  };
}

/** A node's state from its row: the one formula every view uses. */
export function nodeState(row: ClusterNodeRow, now: number, nodeTtl: number): ClusterNode["state"] {
  if (row.stoppedAt !== null) return "stopped";
  const beat = row.lastHeartbeatAt ?? row.startedAt;
  return now - beat < nodeTtl ? "live" : "lost";
}

/**
 * The cluster methods on SQLite and PostgreSQL, one Kysely code path (`op` runs a statement on
 * the store's connection and tracks its health). Every lease write is a single statement, so two
 * processes racing for a lease are arbitrated by the database's row lock alone.
 */
export function sqlClusterMethods(op: SqlOp): ClusterStore {
  const run = <T>(fn: (db: Kysely<ClusterDatabase>) => Promise<T>) =>
    op((db) => fn(db as unknown as Kysely<ClusterDatabase>));

  return {
    joinNode: (node, { now, nodeTtl, replace }) =>
      run(async (db) => {
        const values = {
          id: node.id,
          host: node.host,
          pid: node.pid,
          profile: node.profile,
          url: node.url,
          instance: node.instance,
          candidates: toJson([...node.candidates]),
          started_at: now,
          last_heartbeat_at: now,
          stopped_at: null,
        };
        const taken = await db
          .insertInto("nodes")
          .values(values)
          .onConflict((oc) =>
            oc
              .column("id")
              .doUpdateSet((eb) => ({
                host: eb.ref("excluded.host"),
                pid: eb.ref("excluded.pid"),
                profile: eb.ref("excluded.profile"),
                url: eb.ref("excluded.url"),
                instance: eb.ref("excluded.instance"),
                candidates: eb.ref("excluded.candidates"),
                started_at: eb.ref("excluded.started_at"),
                last_heartbeat_at: eb.ref("excluded.last_heartbeat_at"),
                stopped_at: null,
              }))
              .where((eb) =>
                eb.or([
                  eb("nodes.stopped_at", "is not", null),
                  eb("nodes.last_heartbeat_at", "is", null),
                  eb("nodes.last_heartbeat_at", "<=", now - nodeTtl),
                  eb("nodes.instance", "is", null),
                  eb("nodes.instance", "=", node.instance),
                  ...(replace !== undefined ? [eb("nodes.instance", "=", replace)] : []),
                ]),
              ),
          )
          .returningAll()
          .executeTakeFirst();
        if (taken) return { joined: true, row: nodeFromRow(taken) };
        const holder = await db
          .selectFrom("nodes")
          .selectAll()
          .where("id", "=", node.id)
          .executeTakeFirstOrThrow();
        return { joined: false, holder: nodeFromRow(holder) };
      }),

    heartbeatNode: (id, instance, now) =>
      run(async (db) => {
        const result = await db
          .updateTable("nodes")
          .set({ last_heartbeat_at: now })
          .where("id", "=", id)
          .where("instance", "=", instance)
          .where("stopped_at", "is", null)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    setNodeUrl: (id, instance, url) =>
      run(async (db) => {
        await db
          .updateTable("nodes")
          .set({ url })
          .where("id", "=", id)
          .where("instance", "=", instance)
          .execute();
      }),

    setNodeCandidates: (id, instance, candidates) =>
      run(async (db) => {
        await db
          .updateTable("nodes")
          .set({ candidates: toJson([...candidates]) })
          .where("id", "=", id)
          .where("instance", "=", instance)
          .execute();
      }),

    leaveNode: (id, instance, now) =>
      run(async (db) => {
        await db
          .updateTable("nodes")
          .set({ stopped_at: now, last_heartbeat_at: now })
          .where("id", "=", id)
          .where("instance", "=", instance)
          .execute();
      }),

    listNodes: (now, nodeTtl) =>
      run(async (db) => {
        const rows = await db.selectFrom("nodes").selectAll().orderBy("started_at").execute();
        return rows.map((r): ClusterNode => {
          const row = nodeFromRow(r);
          return { ...row, state: nodeState(row, now, nodeTtl) };
        });
      }),

    pruneNodes: (before) =>
      run((db) =>
        db.transaction().execute(async (trx) => {
          const gone = await trx
            .selectFrom("nodes")
            .select("id")
            .where((eb) =>
              eb.or([
                eb("last_heartbeat_at", "<", before),
                eb.and([eb("last_heartbeat_at", "is", null), eb("started_at", "<", before)]),
              ]),
            )
            .execute();
          const ids = gone.map((g) => g.id);
          if (ids.length === 0) return 0;
          await trx.deleteFrom("daemons").where("node_id", "in", ids).execute();
          for (const id of ids) {
            const suffix = `${NODE_CURSOR_SEPARATOR}${id}`;
            await trx
              .deleteFrom("subscriber_cursors")
              .where(
                sql<string>`substr(subscriber, length(subscriber) - ${suffix.length - 1})`,
                "=",
                suffix,
              )
              .execute();
          }
          await trx.deleteFrom("nodes").where("id", "in", ids).execute();
          return ids.length;
        }),
      ),

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
