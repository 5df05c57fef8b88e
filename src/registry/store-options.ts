/**
 * The store's settings in a config (DESIGN.md §6): `store` as a URL or `{ url, outageBuffer }`,
 * and `events.retention: { maxAge, maxRows }`, checked and turned into bytes and ms by
 * `defineConfig`. A bad value is a `TypeError` naming the option, what was expected and what
 * was found.
 */

import type { Duration } from "./daemon-types.js";
import { MANAGER_DEFAULTS } from "./defaults.js";
import { parseDuration } from "./duration.js";
import { parseSize, type Size } from "./size.js";

/** `store:` as an object: the URL and the outage buffer. */
export interface StoreOptionsInput {
  /** `sqlite:PATH`, `postgres://…` or `memory:`. Default `sqlite:.ringmaster/state.db`. */
  url?: string;
  /**
   * Writes kept in memory while the store is unreachable (durable publishes, logs, records, job
   * launches), in bytes or with a unit (`"64MB"`); beyond it they go to the local spool file.
   * Default 64 MB.
   */
  outageBuffer?: Size;
}

/** `events.retention`: events are removed once older than `maxAge` or beyond the newest `maxRows`. */
export interface EventRetentionInput {
  /** Default `"7d"`; only events every subscriber has handled go by age. */
  maxAge?: Duration;
  /** Default 1,000,000; the newest this many are kept whatever the cursors say. */
  maxRows?: number;
}

/** `events.retention` as `defineConfig` leaves it: ms and a row count. */
export interface EventRetention {
  readonly maxAge: number;
  readonly maxRows: number;
}

const describe = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** Throws on keys other than `known` in the object given for `option`. */
function onlyKnownKeys(value: object, known: readonly string[], option: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `config option ${option}: unknown key ${JSON.stringify(key)}; expected ${known.join(" or ")}`,
      );
    }
  }
}

/** `store:` as the URL and the outage buffer's bytes. */
export function storeOptions(input: string | StoreOptionsInput | undefined): {
  url: string;
  outageBuffer: number;
} {
  if (input === undefined || typeof input === "string") {
    return {
      url: input ?? MANAGER_DEFAULTS.store,
      outageBuffer: MANAGER_DEFAULTS.outageBuffer,
    };
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new TypeError(
      `config option store: expected a store URL or { url, outageBuffer }, found ${describe(input)}`,
    );
  }
  onlyKnownKeys(input, ["url", "outageBuffer"], "store");
  if (input.url !== undefined && typeof input.url !== "string") {
    throw new TypeError(
      `config option store.url: expected a store URL ("sqlite:PATH", "postgres://…" or "memory:"), found ${describe(input.url)}`,
    );
  }
  return {
    url: input.url ?? MANAGER_DEFAULTS.store,
    outageBuffer:
      input.outageBuffer === undefined
        ? MANAGER_DEFAULTS.outageBuffer
        : parseSize(input.outageBuffer, "config option store.outageBuffer"),
  };
}

/** `events.retention` in ms and rows, the defaults filling what it leaves out. */
export function eventRetention(input: EventRetentionInput | undefined): EventRetention {
  const defaults = MANAGER_DEFAULTS.eventRetention;
  if (input === undefined) return Object.freeze({ ...defaults });
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new TypeError(
      `config option events.retention: expected { maxAge, maxRows }, found ${describe(input)}`,
    );
  }
  onlyKnownKeys(input, ["maxAge", "maxRows"], "events.retention");
  const maxAge =
    input.maxAge === undefined
      ? defaults.maxAge
      : parseDuration(input.maxAge, "config option events.retention.maxAge");
  if (maxAge <= 0) {
    throw new TypeError(
      `config option events.retention.maxAge: expected a duration of more than 0 such as "7d", found ${describe(input.maxAge)}`,
    );
  }
  const { maxRows = defaults.maxRows } = input;
  if (typeof maxRows !== "number" || !Number.isSafeInteger(maxRows) || maxRows < 1) {
    throw new TypeError(
      `config option events.retention.maxRows: expected a whole number of 1 or more such as 1_000_000, found ${describe(maxRows)}`,
    );
  }
  return Object.freeze({ maxAge, maxRows });
}
