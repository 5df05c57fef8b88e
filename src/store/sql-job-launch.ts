/**
 * Launching in the SQL stores: a job, its `launched` action and the `jobs` wake-up, atomically
 * (PostgreSQL: one statement; SQLite: one transaction), alone or many at once. The partial unique
 * index on live dedup keys is the only conflict a fresh id can hit; a launch that hits it returns
 * the live job and records nothing.
 */
import { type Kysely, type QueryCreator, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import type { Database } from "./schema.js";
import {
  actionValues,
  type JobNotifier,
  type JobRow,
  jobFromRow,
  jobValues,
  LIVE,
  type Op,
} from "./sql-job-rows.js";
import type { JobMethods, NewJob, NewJobAction } from "./types.js";

const DEDUP_RETRIES = 5;
type Action = Omit<NewJobAction, "jobId">;

export function sqlLaunchMethods(
  op: Op,
  notifier: JobNotifier,
): Pick<JobMethods, "insertJob" | "launchJob" | "launchJobs"> {
  const getJob = (db: Kysely<Database>, id: string) =>
    db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();

  /** Inserts the job; with `action`, also the action and a wake-up on `jobs`, atomically. */
  const insertOnce = async (
    db: Kysely<Database>,
    job: NewJob,
    action: Action | null,
  ): Promise<JobRow | undefined> => {
    const insert = (qb: QueryCreator<Database>) =>
      qb
        .insertInto("jobs")
        .values(jobValues(job))
        .onConflict((oc) => oc.doNothing())
        .returningAll();
    if (!action) return insert(db).executeTakeFirst();
    if (notifier.expression) {
      // One statement: the action is inserted only when the job was, and pg_notify runs once
      // per inserted row, so a dedup hit records and notifies nothing.
      const row = await db
        .with("j", (qb) => insert(qb))
        .with("a", (qb) =>
          qb
            .insertInto("job_actions")
            .columns(["job_id", "daemon", "action", "reason", "at", "node_id"])
            .expression((eb) =>
              eb
                .selectFrom("j")
                .select([
                  "j.id",
                  sql<string>`cast(${action.daemon} as text)`.as("daemon"),
                  sql<string>`cast(${action.action} as text)`.as("action"),
                  sql<string | null>`cast(${action.reason} as text)`.as("reason"),
                  sql<number>`cast(${action.at} as bigint)`.as("at"),
                  sql<string | null>`cast(${action.node} as text)`.as("node_id"),
                ]),
            ),
        )
        .selectFrom("j")
        .selectAll("j")
        .select(notifier.expression("jobs").as("notified"))
        .executeTakeFirst();
      return row as JobRow | undefined;
    }
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await insert(trx).executeTakeFirst();
      if (inserted) {
        await trx.insertInto("job_actions").values(actionValues(inserted.id, action)).execute();
        await notifier.inTransaction(trx, "jobs");
      }
      return inserted;
    });
    if (row) notifier.after("jobs");
    return row;
  };

  const insertJob = (job: NewJob, action: Action | null) =>
    op(async (db) => {
      for (let attempt = 0; attempt < DEDUP_RETRIES; attempt++) {
        const inserted = await insertOnce(db, job, action);
        if (inserted) return { job: jobFromRow(inserted), created: true };
        if (job.dedupKey === null) {
          const same = await getJob(db, job.id);
          if (same) return { job: jobFromRow(same), created: false };
          continue;
        }
        const live = await db
          .selectFrom("jobs")
          .selectAll()
          .where("dedup_key", "=", job.dedupKey)
          .where("status", "in", LIVE)
          .executeTakeFirst();
        if (live) return { job: jobFromRow(live), created: false };
        // The live job finished in between: its key is free again, try once more.
      }
      throw new Error(`could not insert job ${job.id} (dedup key ${job.dedupKey}): too much churn`);
    });

  /** PostgreSQL: the batch's jobs, the actions of those inserted and one wake-up, one statement. */
  const launchAllPg = async (
    db: Kysely<Database>,
    launches: readonly { job: NewJob; action: Action }[],
    expression: NonNullable<JobNotifier["expression"]>,
  ): Promise<JobRow[]> => {
    const actions = sql.join(
      launches.map(
        ({ job, action }) =>
          sql`(cast(${job.id} as text), cast(${action.daemon} as text), cast(${action.action} as text), cast(${action.reason} as text), cast(${action.at} as bigint), cast(${action.node} as text))`,
      ),
    );
    return (await db
      .with("j", (qb) =>
        qb
          .insertInto("jobs")
          .values(launches.map(({ job }) => jobValues(job)))
          .onConflict((oc) => oc.doNothing())
          .returningAll(),
      )
      .with("a", (qb) =>
        qb
          .insertInto("job_actions")
          .columns(["job_id", "daemon", "action", "reason", "at", "node_id"])
          .expression(
            sql`select v.job_id, v.daemon, v.action, v.reason, v.at, v.node_id
              from j join (values ${actions}) as v (job_id, daemon, action, reason, at, node_id)
              on v.job_id = j.id`,
          ),
      )
      .selectFrom("j")
      .selectAll("j")
      .select(expression("jobs").as("notified"))
      .execute()) as JobRow[];
  };

  /** SQLite: the same in one transaction. */
  const launchAllInTransaction = async (
    db: Kysely<Database>,
    launches: readonly { job: NewJob; action: Action }[],
  ): Promise<JobRow[]> => {
    const rows = await db.transaction().execute(async (trx) => {
      const inserted: JobRow[] = [];
      for (const { job, action } of launches) {
        const row = await insertOnce(trx, job, null);
        if (!row) continue;
        await trx.insertInto("job_actions").values(actionValues(row.id, action)).execute();
        inserted.push(row);
      }
      if (inserted.length > 0) await notifier.inTransaction(trx, "jobs");
      return inserted;
    });
    if (rows.length > 0) notifier.after("jobs");
    return rows;
  };

  return {
    insertJob: (job) => insertJob(job, null),
    launchJob: (job, action) => insertJob(job, action),
    launchJobs: (launches) =>
      op(async (db) => {
        if (launches.length === 0) return [];
        const rows = notifier.expression
          ? await launchAllPg(db, launches, notifier.expression)
          : await launchAllInTransaction(db, launches);
        const byId = new Map(rows.map((row) => [row.id, row]));
        const out: { job: JobRecord; created: boolean }[] = [];
        for (const { job, action } of launches) {
          const row = byId.get(job.id);
          // A dedup conflict: the single launch finds the live job (or inserts, if it ended).
          out.push(row ? { job: jobFromRow(row), created: true } : await insertJob(job, action));
        }
        return out;
      }),
  };
}
