/**
 * What every concern of the SQL store shares: the runner its queries go through, batching rows
 * into statements, and reading column values the way both dialects return them (SQLite gives
 * 0/1 and numbers, PostgreSQL booleans and bigint strings).
 */
import type { Kysely, OnConflictBuilder } from "kysely";
import type { Database } from "./schema.js";

/**
 * Runs one direct operation on the open database: throws if the store is not open, and remembers
 * whether the database answered (for `health()`).
 */
export type SqlOp = <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

/** Rows per multi-row statement, well under either dialect's parameter limit. */
const CHUNK = 200;

export function chunks<T>(rows: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export const bool = (value: unknown): boolean => value === true || value === 1 || value === "1";
export const boolOrNull = (value: unknown): boolean | null =>
  value === null || value === undefined ? null : bool(value);
export const num = (value: unknown): number => Number(value);
export const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/**
 * How one backend's `timestamptz` columns take a time in ms: a `Date` on PostgreSQL (the daemon
 * record, migration 0005), the number itself on SQLite, where every time is ms.
 */
export type TimeWriter = (ms: number) => number | Date;
export const timeWriter = (kind: "sqlite" | "postgres"): TimeWriter =>
  kind === "postgres" ? (ms) => new Date(ms) : (ms) => ms;
/** A time column read back as ms, whichever it is (a `Date`, a number, a bigint string). */
export const ms = (value: unknown): number =>
  value instanceof Date ? value.getTime() : Number(value);
export const msOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : ms(value);

/** A cursor upsert's conflict rule: the stored cursor moves only forward (never back). */
export const cursorMovesForward = (oc: OnConflictBuilder<Database, "subscriber_cursors">) =>
  oc
    .column("subscriber")
    .doUpdateSet((eb) => ({
      seq: eb.ref("excluded.seq"),
      updated_at: eb.ref("excluded.updated_at"),
    }))
    .where("subscriber_cursors.seq", "<", (eb) => eb.ref("excluded.seq"));
