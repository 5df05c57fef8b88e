/**
 * The node membership statements of the SQL cluster store: joining (taking a free row over in one
 * upsert), heartbeats, a node's URL and candidates, a clean leave, the list with each node's
 * state, and pruning nodes gone long enough with what they leave behind.
 */
import { sql } from "kysely";
import type { ClusterNode, ClusterStore } from "./cluster-types.js";
import { toJson } from "./json.js";
import {
  type ClusterRun,
  NODE_CURSOR_SEPARATOR,
  nodeFromRow,
  nodeState,
} from "./sql-cluster-rows.js";

export type ClusterNodeMethods = Pick<
  ClusterStore,
  | "joinNode"
  | "heartbeatNode"
  | "setNodeUrl"
  | "setNodeCandidates"
  | "leaveNode"
  | "listNodes"
  | "pruneNodes"
>;

/**
 * `joinNode`: one upsert that writes the row only where it is free (no row, a clean leave, a
 * heartbeat older than `nodeTtl`, the same instance, or the instance to `replace`), so two
 * processes claiming one node id cannot both join; the loser reads the holder's row.
 */
export function sqlJoinNode(run: ClusterRun): ClusterStore["joinNode"] {
  return (node, { now, nodeTtl, replace }) =>
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
    });
}

/**
 * The node statements: the join above, the writes to a node's own row (matched by its instance,
 * so a process whose row was taken over changes nothing), the list and the prune.
 */
export function sqlClusterNodeMethods(run: ClusterRun): ClusterNodeMethods {
  return {
    joinNode: sqlJoinNode(run),

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
  };
}
