/**
 * What the SQL job methods share: rows ↔ records (`jobs`, `job_actions`), the values a launch
 * inserts, and the seams they are built on (the dialect's wake-ups, the store's `op`).
 */
import { type Kysely, type RawBuilder, type Selectable, sql } from "kysely";
import type { JobActionKind, JobActionRecord, JobRecord, JobStatus } from "../registry/types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import type { NewJob, NewJobAction, StoreChannel } from "./types.js";

/** Runs a direct operation on the open database (the store's health bookkeeping around it). */
export type Op = <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

export type JobRow = Selectable<Database["jobs"]>;

/** How the job methods send the wake-ups of what they write (the dialect's part of it). */
export interface JobNotifier {
  /**
   * PostgreSQL: an expression (`pg_notify(…)`) to select in the statement that writes, so the
   * write and its wake-up commit together in one round trip.
   */
  expression?(channel: StoreChannel): RawBuilder<unknown>;
  /** Otherwise: notifies inside the writing transaction. */
  inTransaction(trx: Kysely<Database>, channel: StoreChannel): Promise<void>;
  /** After the commit (in-process listeners). */
  after(channel: StoreChannel): void;
}

/**
 * A finished job's row, as the predicate of the `jobs_finished` partial index (migration 0006)
 * reads, so both planners can prove the index covers the query (SQLite does not match an
 * `in (?, ?, ?)` of parameters against it).
 */
export const FINISHED_ROW = sql<boolean>`status in ('completed', 'failed', 'cancelled')`;
export const LIVE: JobStatus[] = ["pending", "running"];

export const asList = <T>(value: T | readonly T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? [...value] : [value as T];

export const num = (value: unknown): number => Number(value);
export const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
export const bool = (value: unknown): boolean => value === true || value === 1 || value === "1";

export function jobFromRow(r: JobRow): JobRecord {
  return {
    id: r.id,
    type: r.type,
    status: r.status as JobStatus,
    payload: fromJson(r.payload),
    result: fromJson(r.result),
    error: r.error,
    priority: num(r.priority),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    runAt: num(r.run_at),
    dedupKey: r.dedup_key,
    progress: num(r.progress),
    progressMessage: r.progress_message,
    launchedBy: r.launched_by,
    reason: r.reason,
    lockedBy: r.locked_by,
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    cancelRequested: bool(r.cancel_requested),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

export function actionFromRow(r: Selectable<Database["job_actions"]>): JobActionRecord {
  return {
    id: num(r.id),
    jobId: r.job_id,
    daemon: r.daemon,
    action: r.action as JobActionKind,
    reason: r.reason,
    at: num(r.at),
    node: r.node_id,
  };
}

/** The `jobs` row of a new, pending job. */
export const jobValues = (job: NewJob) => ({
  id: job.id,
  type: job.type,
  status: "pending",
  payload: toJson(job.payload),
  priority: job.priority,
  attempts: 0,
  max_attempts: job.maxAttempts,
  run_at: job.runAt,
  dedup_key: job.dedupKey,
  progress: 0,
  launched_by: job.launchedBy,
  reason: job.reason,
  created_at: job.now,
  updated_at: job.now,
});

/**
 * The record of a job just inserted from `job` (its payload stored as `payloadJson`): what a
 * read of its row returns, built without one (the values `jobValues` inserts, and the defaults).
 */
export const pendingRecord = (job: NewJob, payloadJson: string): JobRecord => ({
  id: job.id,
  type: job.type,
  status: "pending",
  payload: fromJson(payloadJson),
  result: null,
  error: null,
  priority: job.priority,
  attempts: 0,
  maxAttempts: job.maxAttempts,
  runAt: job.runAt,
  dedupKey: job.dedupKey,
  progress: 0,
  progressMessage: null,
  launchedBy: job.launchedBy,
  reason: job.reason,
  lockedBy: null,
  leaseExpiresAt: null,
  cancelRequested: false,
  createdAt: job.now,
  updatedAt: job.now,
  startedAt: null,
  finishedAt: null,
});

/** The `job_actions` row of `action` on job `jobId`. */
export const actionValues = (jobId: string, action: Omit<NewJobAction, "jobId">) => ({
  job_id: jobId,
  daemon: action.daemon,
  action: action.action,
  reason: action.reason,
  at: action.at,
  node_id: action.node,
});
