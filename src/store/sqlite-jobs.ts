/**
 * SQLite's hot job statements — the worker's claims and outcome writes (`claimJobs`, `finishJobs`,
 * `finishAndClaimJobs`) — prepared once per open database on better-sqlite3 itself, their rows read
 * as arrays. Through Kysely every round built and compiled the statements again (the outcomes a
 * `values` list of five parameters each) and read 22-column rows as objects: that cost the
 * process twice SQLite's own work on the same rows (bench/jobs-sql-probe.ts sqlite, batches of
 * 200: ~34 µs per job, ~16 µs of it the statements themselves).
 *
 * The statements and their semantics are the SQL store's (sql-job-claim.ts, sql-job-finish.ts):
 * each state change one conditional `UPDATE … RETURNING`, the claim first in the transaction (it
 * does not see what the outcomes send back to pending), the `jobs` channel notified in the same
 * commit when an attempt ended. They run synchronously in one `BEGIN IMMEDIATE` transaction,
 * holding Kysely's one connection meanwhile (no Kysely transaction is open around them), so the
 * write lock is taken at the start and waited for under `busy_timeout` like any other write.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { toJson } from "./json.js";
import type { Database } from "./schema.js";
import { byPriority, claimLimits } from "./sql-job-claim.js";
import { attemptEndAssignments } from "./sql-job-finish.js";
import { type JobNotifier, type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import type { JobClaim, JobMethods, JobOutcome } from "./types.js";

type Finish = { id: string; outcome: JobOutcome };

/** The columns the statements return, in {@link rowOf}'s order. */
const COLUMNS =
  "id, type, status, payload, result, error, priority, attempts, max_attempts, run_at, " +
  "dedup_key, progress, progress_message, launched_by, reason, locked_by, lease_expires_at, " +
  "created_at, updated_at, started_at, finished_at, cancel_requested";

/** A returned row (an array in {@link COLUMNS} order) as the `jobs` row it is. */
const rowOf = (v: unknown[]): JobRow => ({
  id: v[0] as string,
  type: v[1] as string,
  status: v[2] as string,
  payload: v[3] as string,
  result: v[4] as string | null,
  error: v[5] as string | null,
  priority: v[6] as number,
  attempts: v[7] as number,
  max_attempts: v[8] as number,
  run_at: v[9] as number,
  dedup_key: v[10] as string | null,
  progress: v[11] as number,
  progress_message: v[12] as string | null,
  launched_by: v[13] as string | null,
  reason: v[14] as string | null,
  locked_by: v[15] as string | null,
  lease_expires_at: v[16] as number | null,
  created_at: v[17] as number,
  updated_at: v[18] as number,
  started_at: v[19] as number | null,
  finished_at: v[20] as number | null,
  cancel_requested: v[21] as number,
});

/**
 * Per type and due priority, highest first: the due jobs of that priority in `run_at` order, read
 * from `jobs_pending` (an `ORDER BY priority DESC, run_at` over the ascending index would sort
 * every pending row of the type). `below` is the priority claimed last. The statement runs alone
 * (one writer), so its subquery's rows are still pending when it updates them.
 */
const claimText = (below: boolean) => `
  update jobs set
    status = 'running', attempts = attempts + 1, locked_by = @worker,
    lease_expires_at = @expires, started_at = @now, updated_at = @now
  where id in (
    select id from jobs
    where status = 'pending' and type = @type and run_at <= @now and priority = (
      select max(priority) from jobs
      where status = 'pending' and type = @type and run_at <= @now${below ? " and priority < @below" : ""})
    order by run_at limit @limit)
  returning ${COLUMNS}`;

/**
 * The outcomes travel as one JSON array of `[id, kind, result, error, retry_at]` (one parameter,
 * one statement text whatever their number); the CASEs are sql-job-finish.ts's.
 */
const FINISH = `
  with v (id, kind, result, error, retry_at) as (
    select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 from json_each(@outcomes))
  update jobs set ${attemptEndAssignments("@now")}
  from v
  where jobs.id = v.id and jobs.status = 'running' and jobs.locked_by = @worker
  returning ${COLUMNS}`;

/** The `[id, kind, result, error, retry_at]` of one outcome, as sql-job-finish.ts writes it. */
const outcomeOf = ({ id, outcome }: Finish) => [
  id,
  outcome.status === "failed" && outcome.retryAt !== null ? "retry" : outcome.status,
  outcome.status === "completed" ? toJson(outcome.result) : null,
  outcome.status === "failed" || outcome.status === "cancelled" ? outcome.error : null,
  outcome.status === "failed" ? outcome.retryAt : null,
];

/** The statements of one open database, prepared at its first use. */
function prepare(database: BetterSqlite3.Database) {
  const rows = (text: string) => database.prepare(text).raw(true);
  const first = rows(claimText(false));
  const next = rows(claimText(true));
  const finish = rows(FINISH);
  // The wake-up other processes poll (sqlite.ts); in the finishing transaction.
  const notify = database.prepare(`
    insert into channel_versions (channel, version) values ('jobs', 1)
    on conflict (channel) do update set version = channel_versions.version + 1`);

  const claim = (claimOf: JobClaim): JobRecord[] => {
    const { worker, leaseMs, now } = claimOf;
    const claimed: JobRecord[] = [];
    for (const [type, limit] of claimLimits(claimOf)) {
      const params = { worker, expires: now + leaseMs, now, type, limit };
      let left = limit;
      let below: number | undefined;
      while (left > 0) {
        params.limit = left;
        const found = (
          below === undefined ? first.all(params) : next.all({ ...params, below })
        ) as unknown[][];
        if (found.length === 0) break;
        for (const values of found) claimed.push(jobFromRow(rowOf(values)));
        left -= found.length;
        below = Number((found[0] as unknown[])[6]); // priority
      }
    }
    return claimed.sort(byPriority);
  };

  /** Ends `finishes`' attempts: their records in order, null where the attempt was not ours. */
  const end = (worker: string, finishes: readonly Finish[], now: number) => {
    if (finishes.length === 0) return { finished: [], notified: false };
    const outcomes = JSON.stringify(finishes.map(outcomeOf));
    const found = finish.all({ outcomes, worker, now }) as unknown[][];
    if (found.length > 0) notify.run();
    const byId = new Map(found.map((values) => [values[0] as string, values]));
    const finished = finishes.map(({ id }): JobRecord | null => {
      const values = byId.get(id);
      byId.delete(id); // an id twice: recorded once
      return values ? jobFromRow(rowOf(values)) : null;
    });
    return { finished, notified: found.length > 0 };
  };

  const round = database.transaction(
    (worker: string, finishes: readonly Finish[], claimOf: JobClaim | null, now: number) => {
      const claimed = claimOf ? claim(claimOf) : [];
      return { ...end(worker, finishes, now), claimed };
    },
  );
  return { round };
}

type Prepared = ReturnType<typeof prepare>;

/**
 * `claimJobs`, `finishJobs` and `finishAndClaimJobs` on the better-sqlite3 database `native()`
 * (the one the store's Kysely runs on): each one `BEGIN IMMEDIATE` transaction while holding the
 * Kysely connection.
 */
export function sqliteJobMethods(
  op: Op,
  native: () => BetterSqlite3.Database,
  notifier: JobNotifier,
): Pick<JobMethods, "claimJobs" | "finishJobs" | "finishAndClaimJobs"> {
  const prepared = new WeakMap<BetterSqlite3.Database, Prepared>();
  const statements = () => {
    const database = native();
    let found = prepared.get(database);
    if (!found) {
      found = prepare(database);
      prepared.set(database, found);
    }
    return found;
  };
  const run = async (
    worker: string,
    finishes: readonly Finish[],
    claim: JobClaim | null,
    now: number,
  ) => {
    // Nothing to write or claim: no transaction (BEGIN IMMEDIATE takes the write lock).
    if (finishes.length === 0 && (!claim || claimLimits(claim).length === 0))
      return { finished: [], claimed: [] };
    return op(async (db: Kysely<Database>) => {
      const done = await db
        .connection()
        .execute(async () => statements().round.immediate(worker, finishes, claim, now));
      if (done.notified) notifier.after("jobs");
      return { finished: done.finished, claimed: done.claimed };
    });
  };
  return {
    claimJobs: async (claim) => (await run(claim.worker, [], claim, claim.now)).claimed,
    finishJobs: async (worker, finishes, now) => (await run(worker, finishes, null, now)).finished,
    finishAndClaimJobs: run,
  };
}
