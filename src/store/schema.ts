/**
 * The database's tables as Kysely's types see them (both dialects).
 */
import type { Generated } from "kysely";

/**
 * The tables as Kysely sees them. Column names are snake_case; times are bigint ms since the
 * epoch; JSON is stored as text (the same in both dialects); booleans are `boolean` columns,
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
    started_at: number | null;
    last_heartbeat_at: number | null;
    heartbeat_details: string | null;
    updated_at: number;
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
