/**
 * One round of SQLite's hot job statements — a worker's claims and outcome writes — as plain
 * JavaScript source, so the same code runs on the store's own better-sqlite3 connection (in this
 * thread) and on the job thread's connection (sqlite-job-thread.ts, a worker thread that cannot
 * load this TypeScript module). A round is one `BEGIN IMMEDIATE` transaction: the claims first
 * (per type and due priority, highest first, one `UPDATE … WHERE id IN (SELECT … LIMIT n)
 * RETURNING` each), then the outcomes (one `UPDATE … FROM json_each(…)`), and the `jobs` channel
 * bumped in the same commit when an attempt ended. Each row comes back as SQLite's `json_array` of
 * its columns, and each part of a round as one JSON text of them: one string per row and one per
 * part rather than a JavaScript value per column, which is what a message between threads
 * copies value by value (and, here, what the driver builds). The store parses it and builds the
 * records (sqlite-jobs.ts).
 */
import type BetterSqlite3 from "better-sqlite3";
import { attemptEndAssignments } from "./sql-job-finish.js";

/** The columns a claim returns, in sqlite-jobs.ts's `rowOf` order (`priority` is the 7th). */
export const CLAIM_COLUMNS =
  "id, type, status, payload, result, error, priority, attempts, max_attempts, run_at, " +
  "dedup_key, progress, progress_message, launched_by, reason, locked_by, lease_expires_at, " +
  "created_at, updated_at, started_at, finished_at, cancel_requested";

/**
 * The columns an attempt's end can change, which is all a finish returns: the store holds the
 * claimed record (`JobFinish.held`) for the rest, as PostgreSQL's finish does (sql-job-finish.ts).
 * `locked_by`, `lease_expires_at` and `updated_at` it sets to known values.
 */
export const ENDED_COLUMNS =
  "id, status, result, error, attempts, run_at, progress, progress_message, cancel_requested, " +
  "started_at, finished_at";

/**
 * Per type and due priority: the due jobs of that priority in `run_at` order, read from
 * `jobs_pending` (an `ORDER BY priority DESC, run_at` over the ascending index would sort every
 * pending row of the type). `below` is the priority claimed last. The statement runs alone (one
 * writer), so its subquery's rows are still pending when it updates them. The rows are picked by
 * rowid, which the index holds: by `id`, each was read once for its id and found again through
 * the primary key's index (two B-tree searches more per job; bare loop of claim and finish,
 * 6 alternating runs of 20k: ~8% less CPU).
 */
const claimText = (below: boolean) => `
  update jobs set
    status = 'running', attempts = attempts + 1, locked_by = @worker,
    lease_expires_at = @expires, started_at = @now, updated_at = @now
  where rowid in (
    select rowid from jobs
    where status = 'pending' and type = @type and run_at <= @now and priority = (
      select max(priority) from jobs
      where status = 'pending' and type = @type and run_at <= @now${below ? " and priority < @below" : ""})
    order by run_at limit @limit)
  returning json_array(${CLAIM_COLUMNS})`;

/**
 * The outcomes travel as one JSON array of `[id, kind, result, error, retry_at]` (one parameter,
 * one statement text whatever their number); the CASEs are sql-job-finish.ts's. `brief` returns
 * only {@link ENDED_COLUMNS}.
 */
const finishText = (brief: boolean) => `
  with v (id, kind, result, error, retry_at) as (
    select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 from json_each(@outcomes))
  update jobs set ${attemptEndAssignments("@now")}
  from v
  where jobs.id = v.id and jobs.status = 'running' and jobs.locked_by = @worker
  returning json_array(${brief ? ENDED_COLUMNS : CLAIM_COLUMNS})`;

/** The wake-up other processes poll (sqlite.ts), in the finishing transaction. */
const NOTIFY = `
  insert into channel_versions (channel, version) values ('jobs', 1)
  on conflict (channel) do update set version = channel_versions.version + 1`;

/** The statement texts a round prepares. */
export const ROUND_SQL = {
  claimFirst: claimText(false),
  claimNext: claimText(true),
  finish: finishText(false),
  finishBrief: finishText(true),
  notify: NOTIFY,
};
export type RoundSql = typeof ROUND_SQL;

/** What a round is asked: outcomes as {@link finishText}'s JSON, claims as `[type, limit]`s. */
export interface RoundRequest {
  worker: string;
  /** The outcomes' JSON array, or null for none. */
  outcomes: string | null;
  /** Whether the finish returns only {@link ENDED_COLUMNS}. */
  brief: boolean;
  claims: [string, number][];
  leaseMs: number;
  /** The claim's time (leases start then). */
  claimAt: number;
  /** The outcomes' time. */
  now: number;
}

/**
 * A round's rows, each part one JSON array of rows (arrays in the columns' order), and whether
 * the `jobs` channel was bumped.
 */
export interface RoundResult {
  claimed: string;
  finished: string;
  notified: boolean;
}

/**
 * The source of `makeRound(database, sql)`, which prepares {@link RoundSql} on a better-sqlite3
 * database and returns `round(request)`: the whole round in one `BEGIN IMMEDIATE` transaction
 * (rolled back if a statement throws).
 */
export const ROUND_SOURCE = `
function makeRound(database, sql) {
  const rows = (text) => database.prepare(text).pluck(true);
  const first = rows(sql.claimFirst);
  const next = rows(sql.claimNext);
  const finish = rows(sql.finish);
  const finishBrief = rows(sql.finishBrief);
  const notify = database.prepare(sql.notify);
  const claim = (request, claimed) => {
    const { worker, leaseMs, claimAt: now } = request;
    for (const [type, limit] of request.claims) {
      const params = { worker, expires: now + leaseMs, now, type, limit };
      let left = limit;
      let below;
      while (left > 0) {
        params.limit = left;
        const found = below === undefined ? first.all(params) : next.all({ ...params, below });
        if (found.length === 0) break;
        for (const values of found) claimed.push(values);
        left -= found.length;
        below = Number(JSON.parse(found[0])[6]); // one priority per statement
      }
    }
  };
  const round = database.transaction((request) => {
    const claimed = [];
    if (request.claims.length > 0) claim(request, claimed);
    let finished = [];
    if (request.outcomes !== null) {
      const statement = request.brief ? finishBrief : finish;
      finished = statement.all({ outcomes: request.outcomes, worker: request.worker, now: request.now });
    }
    const notified = finished.length > 0;
    if (notified) notify.run();
    return { claimed: "[" + claimed.join(",") + "]", finished: "[" + finished.join(",") + "]", notified };
  });
  return (request) => round.immediate(request);
}`;

type MakeRound = (
  database: BetterSqlite3.Database,
  sql: RoundSql,
) => (request: RoundRequest) => RoundResult;

/** {@link ROUND_SOURCE}'s `makeRound`, in this thread. */
export const makeRound = new Function(`${ROUND_SOURCE}\nreturn makeRound;`)() as MakeRound;
