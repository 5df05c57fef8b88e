/**
 * The dialect seam of the SQL store: what SQLite and PostgreSQL each provide (connecting,
 * wake-ups, error classification) so that everything else is one Kysely code path.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely, RawBuilder, Transaction } from "kysely";
import { describeError } from "../internal/errors.js";
import type { StoreError } from "./errors.js";
import type { Database } from "./schema.js";
import type { StoreChannel } from "./types.js";

/** Receives wake-ups for channels; the dialect decides how (NOTIFY, polling). */
export interface Listener {
  listen(channel: StoreChannel, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** What differs between SQLite and PostgreSQL; everything else is one Kysely code path. */
export interface SqlBackend {
  kind: "sqlite" | "postgres";
  url: string;
  /** Opens the database; throws a {@link StoreError} saying what failed. */
  connect(): Promise<Kysely<Database>>;
  /**
   * A handle for running the migrations on, closed after them; absent: the one `connect` gave.
   * PostgreSQL's waits longer for a statement than the store's (a big table being converted).
   */
  migrationDatabase?(): Promise<Kysely<Database>>;
  /** PostgreSQL: the schema the migrator's own tables live in. */
  migrationTableSchema?: string;
  /** Runs inside the append transaction, first: makes seqs commit in seq order. */
  lockEvents(trx: Transaction<Database>): Promise<void>;
  /** Sends a wake-up on `channel` when `trx` commits. */
  notifyIn(trx: Kysely<Database>, channel: StoreChannel): Promise<void>;
  /** Called after a commit that notified `channel` (in-process listeners). */
  afterNotify?(channel: StoreChannel): void;
  /**
   * An expression that notifies `channel` when the statement selecting it commits, so a write
   * and its wake-up are one statement (PostgreSQL: `pg_notify`). Without it, {@link notifyIn}.
   */
  notifyExpression?(channel: StoreChannel): RawBuilder<unknown>;
  createListener(db: Kysely<Database>): Listener;
  /**
   * SQLite: the better-sqlite3 database under the open Kysely handle, for the job statements
   * prepared once on it (sqlite-jobs.ts); throws before `connect`.
   */
  sqliteDatabase?(): BetterSqlite3.Database;
  /**
   * After the connection was destroyed: resolves once what the backend runs beside it has stopped
   * (SQLite: the job thread, whose connection closes after its round in flight), so a closed store
   * leaves nothing running that the process's exit could cut short.
   */
  closed?(): Promise<void>;
  /** False for errors retrying cannot fix (bad data, constraint violations). */
  isRetryable(error: Error): boolean;
  /** Maps a failed migration or version check to a StoreError. */
  describeOpenError(error: Error): StoreError;
}

/** An error's message with the driver's error code appended when the message lacks it. */
export function describeCause(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const text = describeError(error);
  return typeof code === "string" && !text.includes(code) ? `${text} [${code}]` : text;
}
