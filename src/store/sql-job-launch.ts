/**
 * Launching in the SQL stores: a job, its `launched` action and the `jobs` wake-up, atomically
 * (PostgreSQL: one statement; SQLite: one transaction), alone or many at once (one wake-up for
 * the batch). The partial unique
 * index on live dedup keys is the only conflict a fresh id can hit; a launch that hits it returns
 * the live job and records nothing. An id already stored (the same launch written twice) is
 * not created again: it returns that job, `created: false`, and records nothing.
 */
import { type Kysely, type QueryCreator, type RawBuilder, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { toJson } from "./json.js";
import type { Database } from "./schema.js";
import {
  actionValues,
  type JobNotifier,
  type JobRow,
  jobFromRow,
  jobValues,
  LIVE,
  type Op,
  pendingRecord,
} from "./sql-job-rows.js";
import type { JobMethods, NewJob, NewJobAction } from "./types.js";

const DEDUP_RETRIES = 5;
/** SQLite: jobs per multi-row insert (14 parameters each, well under its 32,766). */
const SQLITE_CHUNK = 500;
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
        // This id is stored already (a launch written again after its answer was lost, e.g.
        // replayed from the outage buffer): it was created then, not now, whatever its state.
        const same = await getJob(db, job.id);
        if (same) return { job: jobFromRow(same), created: false };
        if (job.dedupKey === null) continue;
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

  return {
    insertJob: (job) => insertJob(job, null),
    launchJob: (job, action) => insertJob(job, action),
    launchJobs: (launches) =>
      op(async (db) => {
        if (launches.length === 0) return [];
        const created = notifier.expression
          ? await launchAllPg(db, launches, notifier.expression)
          : await launchAllInTransaction(db, launches, notifier);
        const out: { job: JobRecord; created: boolean }[] = [];
        for (const [i, { job, action }] of launches.entries()) {
          const record = created(i);
          // A dedup conflict: the single launch finds the live job (or inserts, if it ended).
          out.push(record ? { job: record, created: true } : await insertJob(job, action));
        }
        return out;
      }),
  };
}

/** The record of launch `i` when the batch created its job, undefined when it did not. */
type Created = (i: number) => JobRecord | undefined;

/**
 * PostgreSQL: the batch's jobs, the actions of those inserted and one wake-up, in one statement.
 * Without a dedup key in the batch only a stored id can conflict (the same launch written again,
 * e.g. replayed after an outage), so the jobs go in as a plain insert — PostgreSQL's speculative
 * `ON CONFLICT` insert cost ~15% more of the statement's time there — and a batch that meets a
 * stored id (the statement fails whole, nothing written) is written again with `ON CONFLICT DO
 * NOTHING`, as a batch with dedup keys is at once.
 */
async function launchAllPg(
  db: Kysely<Database>,
  launches: readonly { job: NewJob; action: Action }[],
  expression: NonNullable<JobNotifier["expression"]>,
): Promise<Created> {
  if (launches.every(({ job }) => job.dedupKey === null)) {
    try {
      return await insertAllPg(db, launches, expression, false);
    } catch (thrown) {
      if ((thrown as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) throw thrown;
    }
  }
  return insertAllPg(db, launches, expression, true);
}

const UNIQUE_VIOLATION = "23505";

type Launch = { job: NewJob; action: Action };

/** The launch's columns besides `id` and `payload`: name, type, value. */
const LAUNCH_COLUMNS: [string, string, (launch: Launch) => unknown][] = [
  ["type", "text", ({ job }) => job.type],
  ["priority", "int", ({ job }) => job.priority],
  ["max_attempts", "int", ({ job }) => job.maxAttempts],
  ["run_at", "bigint", ({ job }) => job.runAt],
  ["dedup_key", "text", ({ job }) => job.dedupKey],
  ["launched_by", "text", ({ job }) => job.launchedBy],
  ["reason", "text", ({ job }) => job.reason],
  ["now", "bigint", ({ job }) => job.now],
  ["a_daemon", "text", ({ action }) => action.daemon],
  ["a_action", "text", ({ action }) => action.action],
  ["a_reason", "text", ({ action }) => action.reason],
  ["a_at", "bigint", ({ action }) => action.at],
  ["a_node", "text", ({ action }) => action.node],
];

/**
 * The batch as rows (`id`, `payload` and the {@link LAUNCH_COLUMNS}): each column that differs
 * between launches travels as one array parameter (`unnest`), one that is the same for all (a
 * `launchMany`'s type, reason, times and action: all but the ids and payloads) as one value, so
 * neither pg (escaping each element, ~3 µs per job) nor the server parses a thousand copies.
 */
function launchRows(launches: readonly Launch[], ids: string[], payloads: string[]) {
  const arrays = [sql`cast(${ids} as text[])`, sql`cast(${payloads} as text[])`];
  const names = ["id", "payload"];
  const same: RawBuilder<unknown>[] = [];
  for (const [name, type, pick] of LAUNCH_COLUMNS) {
    const first = pick(launches[0] as Launch);
    if (launches.every((launch) => pick(launch) === first))
      same.push(sql`cast(${first} as ${sql.raw(type)}) as ${sql.raw(name)}`);
    else {
      arrays.push(sql`cast(${launches.map(pick)} as ${sql.raw(`${type}[]`)})`);
      names.push(name);
    }
  }
  return sql`select t.*${same.length > 0 ? sql`, ${sql.join(same)}` : sql``}
    from unnest(${sql.join(arrays)}) as t (${sql.raw(names.join(", "))})`;
}

/**
 * The statement of {@link launchAllPg}, whatever the batch's size ({@link launchRows}). Only the
 * inserted ids come back: a created job's row is the one sent ({@link pendingRecord}), and
 * parsing a thousand 22-column rows cost the process more than building them. A plain insert
 * (`skipConflicts` false) either inserts every job or fails whole, so its actions are inserted
 * from the input as it is and nothing comes back but a count: joining the inserted ids to the
 * input sorted both sides, ~10% of the statement's time for a thousand jobs.
 */
async function insertAllPg(
  db: Kysely<Database>,
  launches: readonly Launch[],
  expression: NonNullable<JobNotifier["expression"]>,
  skipConflicts: boolean,
): Promise<Created> {
  const payloads = launches.map(({ job }) => toJson(job.payload));
  const ids = launches.map(({ job }) => job.id);
  const record = (i: number) => pendingRecord((launches[i] as Launch).job, payloads[i] as string);
  const jobs = sql`insert into jobs (id, type, status, payload, priority, attempts, max_attempts,
                          run_at, dedup_key, progress, launched_by, reason, created_at, updated_at)
        select id, type, 'pending', payload, priority, 0, max_attempts, run_at, dedup_key, 0,
               launched_by, reason, now, now
        from input`;
  const notified = sql`(select count(*) from (select ${expression("jobs")}) as n)`;
  if (!skipConflicts) {
    await sql`
      with input as (${launchRows(launches, ids, payloads)}),
      j as (${jobs}),
      a as (
        insert into job_actions (job_id, daemon, action, reason, at, node_id)
        select id, a_daemon, a_action, a_reason, a_at, a_node from input
      )
      select ${notified} as notified`.execute(db);
    return record;
  }
  const result = await sql<{ id: string }>`
    with input as (${launchRows(launches, ids, payloads)}),
    j as (${jobs} on conflict do nothing returning id),
    a as (
      insert into job_actions (job_id, daemon, action, reason, at, node_id)
      select input.id, a_daemon, a_action, a_reason, a_at, a_node
      from j join input on input.id = j.id
    )
    select j.id, ${notified} as notified
    from j`.execute(db);
  const inserted = new Set(result.rows.map((row) => row.id));
  return (i) => (inserted.has((launches[i] as Launch).job.id) ? record(i) : undefined);
}

/** SQLite: the same in one transaction, SQLITE_CHUNK jobs (and then their actions) a statement. */
async function launchAllInTransaction(
  db: Kysely<Database>,
  launches: readonly { job: NewJob; action: Action }[],
  notifier: JobNotifier,
): Promise<Created> {
  const rows = await db.transaction().execute(async (trx) => {
    const inserted: JobRow[] = [];
    for (let i = 0; i < launches.length; i += SQLITE_CHUNK) {
      const chunk = launches.slice(i, i + SQLITE_CHUNK);
      const rows = await trx
        .insertInto("jobs")
        .values(chunk.map(({ job }) => jobValues(job)))
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .execute();
      if (rows.length === 0) continue;
      const created = new Set(rows.map((row) => row.id));
      await trx
        .insertInto("job_actions")
        .values(
          chunk
            .filter(({ job }) => created.has(job.id))
            .map(({ job, action }) => actionValues(job.id, action)),
        )
        .execute();
      inserted.push(...rows);
    }
    if (inserted.length > 0) await notifier.inTransaction(trx, "jobs");
    return inserted;
  });
  if (rows.length > 0) notifier.after("jobs");
  const byId = new Map(rows.map((row) => [row.id, row]));
  return (i) => {
    const row = byId.get((launches[i] as { job: NewJob }).job.id);
    return row ? jobFromRow(row) : undefined;
  };
}
