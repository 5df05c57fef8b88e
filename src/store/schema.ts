/**
 * The database's tables as Kysely's types see them (both dialects).
 */
import type { Generated } from "kysely";

/**
 * The tables as Kysely sees them. Column names are snake_case; times are bigint ms since the
 * epoch, except the daemon record's on PostgreSQL, which are `timestamptz` (read as `Date`; see
 * `sql-rows.ts` for the mapping, and the view `daemon_status` over them); JSON is stored as text (the same in both dialects); booleans are `boolean` columns,
 * written as 1/0 (SQLite keeps integers, PostgreSQL accepts them as boolean input).
 */
export interface Database {
  ringmaster_meta: { key: string; value: string };
  nodes: {
    id: string;
    host: string;
    pid: number;
    profile: string | null;
    started_at: number;
    last_heartbeat_at: number | null;
    url: string | null;
  };
  daemons: {
    node_id: string;
    name: string;
    state: string;
    enabled: number | boolean;
    auto_start: number | boolean;
    restart_count: number;
    last_error: string | null;
    /** ms on SQLite, `timestamptz` on PostgreSQL (like `last_heartbeat_at` and `updated_at`). */
    started_at: number | Date | null;
    last_heartbeat_at: number | Date | null;
    heartbeat_details: string | null;
    updated_at: number | Date;
  };
  /** A view over `daemons` for the seeds' SQL (migration 0005); times as the backend shows them. */
  daemon_status: {
    node_id: string;
    name: string;
    status: string;
    enabled: number | boolean;
    auto_start: number | boolean;
    restarts: number;
    last_error: string | null;
    /** `timestamptz` on PostgreSQL, ISO-8601 text (UTC) on SQLite. */
    started_at: Date | string | null;
    last_heartbeat: Date | string | null;
  };
  daemon_settings: {
    name: string;
    enabled: number | boolean | null;
    auto_start: number | boolean | null;
    config_overrides: string | null;
    updated_at: number;
  };
  daemon_logs: {
    id: Generated<number>;
    time: number;
    daemon: string;
    node_id: string | null;
    level: string;
    level_no: number;
    message: string;
    fields: string | null;
  };
  events: {
    seq: Generated<number>;
    id: string;
    type: string;
    payload: string;
    source: string;
    time: number;
  };
  subscriber_cursors: { subscriber: string; seq: number; updated_at: number };
  dead_letters: {
    id: string;
    subscriber: string;
    reason: string;
    error: string;
    attempts: number;
    at: number;
    event_id: string;
    event: string;
  };
  jobs: {
    id: string;
    type: string;
    status: string;
    payload: string;
    result: string | null;
    error: string | null;
    priority: number;
    attempts: number;
    max_attempts: number;
    run_at: number;
    dedup_key: string | null;
    progress: number;
    progress_message: string | null;
    launched_by: string | null;
    reason: string | null;
    locked_by: string | null;
    lease_expires_at: number | null;
    created_at: number;
    updated_at: number;
    started_at: number | null;
    finished_at: number | null;
    cancel_requested: Generated<number | boolean>;
  };
  job_actions: {
    id: Generated<number>;
    job_id: string;
    daemon: string;
    action: string;
    reason: string | null;
    at: number;
    node_id: string | null;
  };
  leases: { name: string; holder: string; token: number; expires_at: number; acquired_at: number };
  channel_versions: { channel: string; version: number };
}
