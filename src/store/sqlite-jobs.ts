/**
 * SQLite's hot job statements — the worker's claims and outcome writes (`claimJobs`, `finishJobs`,
 * `finishAndClaimJobs`) — prepared once per connection on better-sqlite3 itself, their rows read
 * as arrays (sqlite-job-round.ts). Through Kysely every round built and compiled the statements
 * again and read 22-column rows as objects: that cost the process twice SQLite's own work.
 *
 * On a database file they run on the job thread's own connection (sqlite-job-thread.ts), beside
 * this thread's event loop: a drain's statements were most of its time on the one thread SQLite
 * has. The first rounds, while the thread opens, and every round of a `:memory:` database (a
 * thread cannot share it) run here, on the store's connection. Either way each round is one `BEGIN
 * IMMEDIATE` transaction while the store's Kysely connection is held, so this process's other
 * statements wait for it as they would for one of their own (and never on the thread's lock).
 *
 * The statements and their semantics are the SQL store's (sql-job-claim.ts, sql-job-finish.ts):
 * each state change one conditional `UPDATE … RETURNING`, the claim first in the transaction (it
 * does not see what the outcomes send back to pending), the `jobs` channel notified in the same
 * commit when an attempt ended.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { toJson } from "./json.js";
import type { Database } from "./schema.js";
import { byPriority, claimLimits } from "./sql-job-claim.js";
import { endedRecord } from "./sql-job-finish.js";
import { type JobNotifier, type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import { makeRound, ROUND_SQL, type RoundRequest, type RoundResult } from "./sqlite-job-round.js";
import { type JobThread, startJobThread } from "./sqlite-job-thread.js";
import type { JobClaim, JobFinish, JobMethods } from "./types.js";

/** A claimed row (an array in `CLAIM_COLUMNS` order) as the `jobs` row it is. */
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

/** An ended row in `ENDED_COLUMNS` order, as the `jobs` columns `endedRecord` reads. */
const endedOf = (v: unknown[]) =>
  ({
    id: v[0] as string,
    status: v[1] as string,
    result: v[2] as string | null,
    error: v[3] as string | null,
    attempts: v[4] as number,
    run_at: v[5] as number,
    progress: v[6] as number,
    progress_message: v[7] as string | null,
    cancel_requested: v[8] as number,
    started_at: v[9] as number | null,
    finished_at: v[10] as number | null,
  }) as JobRow;

/** The `[id, kind, result, error, retry_at]` of one outcome, as sql-job-finish.ts writes it. */
const outcomeOf = ({ id, outcome }: JobFinish) => [
  id,
  outcome.status === "failed" && outcome.retryAt !== null ? "retry" : outcome.status,
  outcome.status === "completed" ? toJson(outcome.result) : null,
  outcome.status === "failed" || outcome.status === "cancelled" ? outcome.error : null,
  outcome.status === "failed" ? outcome.retryAt : null,
];

/** `finishes`' records in order from a round's rows, null where the attempt was not ours. */
function finishedInOrder(
  finishes: readonly JobFinish[],
  rows: unknown[][],
  brief: boolean,
  now: number,
): (JobRecord | null)[] {
  const byId = new Map(rows.map((values) => [values[0] as string, values]));
  return finishes.map(({ id, held }): JobRecord | null => {
    const values = byId.get(id);
    byId.delete(id); // an id twice: recorded once
    if (!values) return null;
    return brief && held ? endedRecord(held, endedOf(values), now) : jobFromRow(rowOf(values));
  });
}

/** A database's job thread, and how many times one died on it (after three, none is started). */
interface Threading {
  thread: JobThread | undefined;
  deaths: number;
}
const THREAD_DEATHS = 3;
/**
 * Rows a round is expected to touch (its outcomes, plus what the last claim took when it claims)
 * from which it goes to the job thread. Below, the message's way there and back (two wake-ups of
 * a thread, ~0.1 ms and more on a busy machine, with the store's connection held meanwhile) costs
 * more than the statements: the one-launch-per-call workload's rounds carry a few jobs each and
 * were 3–40% slower through the thread, a drain's carry ~200 + 200.
 */
const THREAD_ROWS = 50;
const threads = new WeakMap<BetterSqlite3.Database, Threading>();

/** The job thread of `database` if one runs (tests). */
export const jobThreadOf = (database: BetterSqlite3.Database): JobThread | undefined =>
  threads.get(database)?.thread;

/** Closes `database`'s job thread, if any, after its rounds; resolves once it exited. */
export async function closeJobThread(database: BetterSqlite3.Database): Promise<void> {
  const threading = threads.get(database);
  threads.delete(database);
  await threading?.thread?.close();
}

/**
 * The thread to send `database`'s next round to; undefined: run it here (starting a thread if due,
 * i.e. when the round is `big`: a store whose rounds are all small never starts one).
 */
function threadFor(database: BetterSqlite3.Database, big: boolean): JobThread | undefined {
  if (!big || database.memory || !database.open) return undefined;
  let threading = threads.get(database);
  if (!threading) {
    threading = { thread: undefined, deaths: 0 };
    threads.set(database, threading);
  }
  const { thread } = threading;
  if (thread?.ready) return thread;
  if (thread?.gone) {
    threading.deaths++;
    threading.thread = undefined;
  }
  if (!threading.thread && threading.deaths < THREAD_DEATHS) {
    const busyTimeout = Number(database.pragma("busy_timeout", { simple: true }));
    threading.thread = startJobThread(database.name, busyTimeout);
  }
  return undefined;
}

/**
 * `claimJobs`, `finishJobs` and `finishAndClaimJobs` on the better-sqlite3 database `native()`
 * (the one the store's Kysely runs on) or its job thread: each one `BEGIN IMMEDIATE` transaction
 * while holding the Kysely connection.
 */
export function sqliteJobMethods(
  op: Op,
  native: () => BetterSqlite3.Database,
  notifier: JobNotifier,
): Pick<JobMethods, "claimJobs" | "finishJobs" | "finishAndClaimJobs"> {
  const rounds = new WeakMap<BetterSqlite3.Database, (request: RoundRequest) => RoundResult>();
  const here = (database: BetterSqlite3.Database, request: RoundRequest) => {
    let round = rounds.get(database);
    if (!round) {
      round = makeRound(database, ROUND_SQL);
      rounds.set(database, round);
    }
    return round(request);
  };
  /** How many jobs the last claim took: the next one is expected to take about as many. */
  let lastClaimed = 0;
  const run = async (
    worker: string,
    finishes: readonly JobFinish[],
    claim: JobClaim | null,
    now: number,
  ) => {
    const claims = claim ? claimLimits(claim) : [];
    // Nothing to write or claim: no transaction (BEGIN IMMEDIATE takes the write lock).
    if (finishes.length === 0 && claims.length === 0) return { finished: [], claimed: [] };
    const brief = finishes.every((f) => f.held !== undefined);
    const request: RoundRequest = {
      worker,
      outcomes: finishes.length === 0 ? null : JSON.stringify(finishes.map(outcomeOf)),
      brief,
      claims,
      leaseMs: claim?.leaseMs ?? 0,
      claimAt: claim?.now ?? now,
      now,
    };
    return op(async (db: Kysely<Database>) => {
      const done = await db.connection().execute(async () => {
        const database = native();
        const big = finishes.length + (claims.length > 0 ? lastClaimed : 0) >= THREAD_ROWS;
        const thread = threadFor(database, big);
        return thread ? thread.round(request) : here(database, request);
      });
      if (done.notified) notifier.after("jobs");
      const claimed = JSON.parse(done.claimed) as unknown[][];
      if (claims.length > 0) lastClaimed = claimed.length;
      return {
        finished: finishedInOrder(finishes, JSON.parse(done.finished), brief, now),
        claimed: claimed.map((values) => jobFromRow(rowOf(values))).sort(byPriority),
      };
    });
  };
  return {
    claimJobs: async (claim) => (await run(claim.worker, [], claim, claim.now)).claimed,
    finishJobs: async (worker, finishes, now) => (await run(worker, finishes, null, now)).finished,
    finishAndClaimJobs: run,
  };
}
