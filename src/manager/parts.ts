import { holdSpares } from "../isolation/host-spares.js";
import { createJobService } from "../jobs/index.js";
import type { HttpOptions } from "../registry/types.js";
import { clusterCandidates } from "./cluster.js";
import { startDeadLetterSweeper } from "./dead-letters.js";
import type { PartName } from "./defaults.js";
import type { Part } from "./lifecycle.js";
import { openPersistence } from "./persistence.js";
import type { Runtime } from "./runtime.js";

/** A part whose name has its timeouts in PART_TIMEOUTS. */
type NamedPart = Part & { readonly name: PartName };

/**
 * Programs and guests (command daemons and jobs, worker and process daemons): started first and
 * stopped last, so the orphan reaper outlives every program the manager starts. Its process
 * starts with the first program and kills them all if the manager dies, even by `kill -9`
 * (isolation/reaper.ts); stopping ends it once the daemons and jobs have stopped their programs.
 * The manager holds the warm spare threads and processes of isolated daemons while it runs
 * (isolation/host-spares.ts); stopping ends them, unless another manager in this process still
 * holds them.
 */
export function programsPart(rt: Runtime): NamedPart {
  let releaseSpares: (() => Promise<void>) | undefined;
  return {
    name: "programs",
    start() {
      releaseSpares = holdSpares();
    },
    async stop() {
      await Promise.all([rt.programs.reaper.stop(), releaseSpares?.()]);
      releaseSpares = undefined;
    },
  };
}

/**
 * Per-daemon log files (config `logFiles`): the directory is made before any daemon runs (one
 * that cannot be made fails `start()`, naming it); the files close after the store, so every line
 * written until then is on disk.
 */
export function logFilesPart(rt: Runtime): NamedPart {
  return {
    name: "logFiles",
    start() {
      rt.logFiles?.open();
    },
    async stop() {
      await rt.logFiles?.close();
    },
  };
}

/**
 * The store: opened first (a StoreError says what failed, before any daemon runs); the operator
 * overrides saved in it become the last config layer. Closed last, after every daemon's final
 * record is written.
 */
export function storePart(rt: Runtime): NamedPart {
  return {
    name: "store",
    async start() {
      const persistence = await openPersistence({
        url: rt.storeUrl,
        pollIntervalMs: rt.config.storePollInterval,
        clock: rt.clock,
        node: rt.node,
        logger: rt.logger,
        timings: rt.clusterTimings,
        candidates: clusterCandidates(rt),
        outageBuffer: rt.config.outageBuffer,
        eventRetention: rt.config.events.retention,
        heartbeatWriteInterval: rt.heartbeatWriteInterval,
        onEvicted: () => {
          rt.logger.error(
            `node ${rt.node.id}: another process took this node's row over; shutting down`,
          );
          rt.emit("manager:error", {
            error: new Error(`node ${rt.node.id} was taken over by another process`),
            context: "cluster membership",
          });
        },
      });
      rt.persistence = persistence;
      rt.layers.applyStored(persistence, rt.tree, rt.logger);
      for (const d of rt.tree.supervisors.values()) persistence.record(rt.layers.recordOf(d));
    },
    async stop() {
      const { persistence } = rt;
      if (!persistence) return;
      // Every daemon's final record, written before the store closes.
      for (const d of rt.tree.supervisors.values()) persistence.record(rt.layers.recordOf(d));
      await persistence.store.writes
        .flush()
        .catch((error) =>
          rt.logger.warn({ err: error }, "writing the final daemon records failed"),
        );
      await persistence.close();
    },
  };
}

/**
 * Durable delivery: with a persistent store, declared subscribers are fed from it (their
 * cursors live there). Stopping writes the pending events, then, in a shutdown, closes the bus
 * (which lives as long as the manager: mailboxes exist from creation; a failed start leaves it).
 */
export function durablePart(rt: Runtime): NamedPart {
  return {
    name: "durable",
    async start() {
      if (rt.persistence) await rt.durable?.attach(rt.bus, rt.persistence.store);
    },
    async stop() {
      await rt.durable
        ?.close()
        .catch((error) => rt.logger.warn({ err: error }, "writing pending events failed"));
      if (rt.tree.shuttingDown) rt.bus.close();
    },
  };
}

/** The job service: workers claim jobs from the store under leases (DESIGN.md §7). */
export function jobsPart(rt: Runtime): NamedPart {
  return {
    name: "jobs",
    async start() {
      if (!rt.persistence) return;
      const jobs = createJobService({
        store: rt.persistence.store,
        clock: rt.clock,
        jobs: rt.config.jobs,
        node: rt.node,
        logger: rt.logger,
        programs: rt.programs,
      });
      rt.jobs = jobs;
      await jobs.start();
    },
    async stop(timeout) {
      await rt.jobs?.stop(timeout);
    },
  };
}

/** Periodic maintenance of the runtime: the dead-letter re-delivery sweeper. */
export function sweepersPart(rt: Runtime): NamedPart {
  let stopSweeper: (() => void) | undefined;
  return {
    name: "sweepers",
    start() {
      stopSweeper = startDeadLetterSweeper(rt);
    },
    stop() {
      stopSweeper?.();
    },
  };
}

/**
 * The HTTP server (when `http` is configured): started last, so it serves a runtime that is up,
 * and closed first after the daemons (so `/ready` says 503 through the shutdown).
 */
export function httpPart(
  rt: Runtime,
  serve: (settings: HttpOptions) => Promise<{ url: string; close(): Promise<void> }>,
): NamedPart {
  return {
    name: "http",
    async start(signal) {
      const settings = rt.layers.resolved.settings.http;
      if (!settings || signal.aborted) return;
      rt.http = await serve(settings);
      rt.logger.info(`HTTP server listening on ${rt.http.url}`);
      await rt.persistence
        ?.setUrl(rt.http.url)
        .catch((error) => rt.logger.warn({ err: error }, "recording the node's url failed"));
    },
    async stop() {
      await rt.http?.close();
    },
  };
}
