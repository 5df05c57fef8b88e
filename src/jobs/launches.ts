/**
 * Launching jobs: the type and payload are checked here (zod), then the job, its `launched`
 * action and the workers' wake-up are written together (one statement on PostgreSQL, one
 * transaction on SQLite), group-committed with the launches made while the previous write ran.
 *
 * A wake-up may let a worker claim (and even finish) a job before the launch's own write has
 * returned; updates about a job being launched are held back ({@link Launches.hold}) until the
 * launch emitted `pending`, so listeners see pending → running → completed in order.
 *
 * While the store is unreachable a launch still returns its id (made here): the job and its
 * action wait in the store's outage buffer (`store.writes.launch`) and are written in order once
 * it is back; the write's own wake-up lets the workers run them then. A launch whose direct write
 * failed because the database went away goes the same way, so an ambiguous write (committed, its
 * answer lost) is written again, which `launchJobs` treats as already done.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import { suggest } from "../registry/suggest.js";
import type { JobRecord, JobSpec, LaunchOptions, NodeInfo } from "../registry/types.js";
import type { NewJobLaunch, Store } from "../store/types.js";
import { createBatcher } from "./batcher.js";
import { JOB_SERVICE_DEFAULTS } from "./defaults.js";
import { JobPayloadError, UnknownJobTypeError } from "./errors.js";
import { newJobId } from "./job-ids.js";
import { toUpdate } from "./statuses.js";
import type { JobUpdate } from "./types.js";

type Kind = "status" | "progress";

export interface LaunchesOptions {
  store: Store;
  clock: Clock;
  specs: ReadonlyMap<string, JobSpec>;
  node: NodeInfo;
  log: Logger;
  emit(kind: Kind, update: JobUpdate): void;
  /** A job was created (workers may want to claim it). */
  launched(): void;
}

export function createLaunches(options: LaunchesOptions) {
  const { store, clock, specs, node, log, emit } = options;
  const launching = new Map<string, { kind: Kind; update: JobUpdate }[]>();
  const batcher = createBatcher(
    (batch: Parameters<Store["launchJobs"]>[0][number][]) => store.launchJobs(batch),
    JOB_SERVICE_DEFAULTS.launchBatch,
  );

  const stored = <R>(launches: readonly NewJobLaunch[], direct: () => Promise<R>) =>
    storeOrBuffer(store, log, launches, direct);
  const specOf = (type: string) => specFor(specs, type);

  async function launch(
    daemon: string,
    type: string,
    payload: unknown,
    launchOptions: LaunchOptions,
  ): Promise<string> {
    const spec = specOf(type);
    if (!launchOptions || typeof launchOptions.reason !== "string") {
      throw new TypeError(`launching job "${type}": options.reason must be a string`);
    }
    const value = parsePayload(spec, payload);
    const id = newJobId();
    launching.set(id, []);
    try {
      return await write(id, daemon, type, spec, value, launchOptions);
    } finally {
      const held = launching.get(id) ?? [];
      launching.delete(id);
      for (const { kind, update } of held) emit(kind, update);
    }
  }

  async function write(
    id: string,
    daemon: string,
    type: string,
    spec: JobSpec,
    value: unknown,
    launchOptions: LaunchOptions,
  ): Promise<string> {
    const now = clock.now();
    const launch: NewJobLaunch = {
      job: newJob(id, daemon, type, spec, value, launchOptions, now),
      action: { daemon, action: "launched", reason: launchOptions.reason, at: now, node: node.id },
    };
    const result = await stored([launch], () => batcher.add(launch));
    if (!result) return id;
    const { job, created } = result;
    if (!created) {
      log.debug(
        { job: job.id, dedupKey: job.dedupKey },
        `jobs: ${type} already live; not launched`,
      );
      return job.id;
    }
    emitCreated(job);
    return job.id;
  }

  /**
   * Launches one job per payload in one `launchJobs` call (bypassing the group commit: the batch
   * is its own). The payloads are all checked before anything is written.
   */
  async function launchMany(
    daemon: string,
    type: string,
    payloads: readonly unknown[],
    launchOptions: Omit<LaunchOptions, "dedupKey">,
  ): Promise<string[]> {
    const spec = specOf(type);
    if (!launchOptions || typeof launchOptions.reason !== "string") {
      throw new TypeError(`launching jobs "${type}": options.reason must be a string`);
    }
    if (!Array.isArray(payloads)) {
      throw new TypeError(`launching jobs "${type}": payloads must be an array`);
    }
    const values = payloads.map((payload) => parsePayload(spec, payload));
    if (values.length === 0) return [];
    const now = clock.now();
    const { reason } = launchOptions;
    const action = { daemon, action: "launched" as const, reason, at: now, node: node.id };
    const batch = values.map((value) => ({
      job: newJob(newJobId(), daemon, type, spec, value, { ...launchOptions, reason }, now),
      action,
    }));
    for (const { job } of batch) launching.set(job.id, []);
    try {
      const results = await stored(batch, () => store.launchJobs(batch));
      if (!results) return batch.map(({ job }) => job.id);
      for (const { job } of results) emit("status", toUpdate(job, clock.now()));
      options.launched();
      return results.map(({ job }) => job.id);
    } finally {
      for (const { job } of batch) {
        const held = launching.get(job.id) ?? [];
        launching.delete(job.id);
        for (const { kind, update } of held) emit(kind, update);
      }
    }
  }

  const emitCreated = (job: JobRecord) => {
    emit("status", toUpdate(job, clock.now()));
    options.launched();
  };

  return {
    launch,
    launchMany,
    /**
     * True when `update` is about a job whose launch has not returned yet: it is kept and
     * emitted after the launch's `pending`.
     */
    hold(kind: Kind, update: JobUpdate): boolean {
      const held = launching.get(update.id);
      if (!held) return false;
      held.push({ kind, update });
      return true;
    },
  };
}

/**
 * Writes `launches` now (`direct`), or, while the store is unreachable or earlier launches
 * still wait in its outage buffer, hands them to that buffer in order and resolves with null.
 * A full spool's `StoreUnavailableError` reaches the caller.
 */
async function storeOrBuffer<R>(
  store: Store,
  log: Logger,
  launches: readonly NewJobLaunch[],
  direct: () => Promise<R>,
): Promise<R | null> {
  const buffer = () => {
    for (const launch of launches) store.writes.launch(launch);
    log.debug(`jobs: store unreachable; ${launches.length} launch(es) wait in its outage buffer`);
    return null;
  };
  if (store.writes.unreachable || store.writes.launchesWaiting > 0) return buffer();
  try {
    return await direct();
  } catch (thrown) {
    // Degraded now: the database did not answer (a refusal, e.g. a constraint, is not that).
    if (!store.health().degraded) throw thrown;
    return buffer();
  }
}

/** The spec of `type`; an {@link UnknownJobTypeError} when no `defineJob` declares it. */
function specFor(specs: ReadonlyMap<string, JobSpec>, type: string): JobSpec {
  const spec = specs.get(type);
  if (!spec) throw new UnknownJobTypeError(type, suggest(type, specs.keys()));
  return spec;
}

/** The payload as the type's schema parsed it; a {@link JobPayloadError} when it refuses it. */
function parsePayload(spec: JobSpec, payload: unknown): unknown {
  if (!spec.payload) return payload;
  const parsed = spec.payload.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new JobPayloadError(
    spec.type,
    parsed.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join(".") : "payload"}: ${issue.message}`,
    ),
  );
}

/** The row a launch inserts. */
function newJob(
  id: string,
  daemon: string,
  type: string,
  spec: JobSpec,
  value: unknown,
  launchOptions: Omit<LaunchOptions, "reason"> & { reason: string },
  now: number,
) {
  const runAt =
    launchOptions.runAt instanceof Date
      ? launchOptions.runAt.getTime()
      : (launchOptions.runAt ?? now);
  return {
    id,
    type,
    payload: value,
    priority: launchOptions.priority ?? 0,
    maxAttempts: launchOptions.maxAttempts ?? spec.maxAttempts,
    runAt,
    dedupKey: launchOptions.dedupKey ?? null,
    launchedBy: daemon,
    reason: launchOptions.reason,
    now,
  };
}
