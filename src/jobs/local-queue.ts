/**
 * The worker's local queue: jobs claimed but not started yet, per type, and how many more to claim.
 * One claim takes up to `concurrency + prefetch` jobs of a type minus those running or queued, so
 * one round trip feeds many slots and the next jobs wait in memory when a slot frees. Queued jobs
 * are held under the lease their claim started (renewed by the worker while they wait), so a dead
 * node's queued jobs are reclaimed like its running ones.
 *
 * A type whose last claim came back short has nothing more due: it is not claimed again until a
 * wake-up (a launch, a notification, the poll) says there may be more, so a worker with free slots
 * does not ask the database again after each of its own writes.
 */
import type { JobRecord, JobSpec } from "../registry/types.js";

export interface Queued {
  job: JobRecord;
  /** When its lease was last started or renewed (clock ms). */
  leasedAt: number;
}

interface TypeQueue {
  spec: JobSpec;
  queued: Queued[];
  active: number;
  /** The last claim came back short: nothing more is due until a wake-up. */
  drained: boolean;
}

export function createLocalQueue(
  specs: ReadonlyMap<string, JobSpec>,
  prefetchOf: (spec: JobSpec) => number,
) {
  const types = new Map<string, TypeQueue>();
  for (const [type, spec] of specs)
    types.set(type, { spec, queued: [], active: 0, drained: false });
  const of = (type: string) => types.get(type) as TypeQueue;

  return {
    /** How many jobs of each type to claim now; null when none. */
    wants(): Record<string, number> | null {
      const out: Record<string, number> = {};
      let any = false;
      for (const [type, q] of types) {
        if (q.drained) continue;
        const capacity = q.spec.concurrency + prefetchOf(q.spec);
        const n = capacity - q.active - q.queued.length;
        // Claim once the queue holds less than a full set of the type's slots or half its
        // capacity, so the next jobs arrive before the queued ones run out.
        if (n > 0 && q.queued.length < Math.max(q.spec.concurrency, capacity / 2)) {
          out[type] = n;
          any = true;
        }
      }
      return any ? out : null;
    },
    /** A claim of `asked` came back with `jobs`: queue them; a short type is drained. */
    claimed(
      asked: Readonly<Record<string, number>>,
      jobs: readonly JobRecord[],
      now: number,
    ): void {
      const got = new Map<string, number>();
      for (const job of jobs) {
        of(job.type).queued.push({ job, leasedAt: now });
        got.set(job.type, (got.get(job.type) ?? 0) + 1);
      }
      for (const [type, n] of Object.entries(asked))
        if ((got.get(type) ?? 0) < n) of(type).drained = true;
    },
    /** There may be more due jobs (of every type). */
    wake(): void {
      for (const q of types.values()) q.drained = false;
    },
    /** Takes the next job to start whose type has a free slot (counted active), or undefined. */
    next(): JobRecord | undefined {
      for (const q of types.values()) {
        if (q.active < q.spec.concurrency && q.queued.length > 0) {
          q.active++;
          return (q.queued.shift() as Queued).job;
        }
      }
      return undefined;
    },
    /** A started job's slot is free again. */
    release(type: string): void {
      of(type).active--;
    },
    /** Removes job `id` from the queue (not started); the job, or undefined if not queued. */
    remove(id: string): JobRecord | undefined {
      for (const q of types.values()) {
        const i = q.queued.findIndex((entry) => entry.job.id === id);
        if (i >= 0) return (q.queued.splice(i, 1)[0] as Queued).job;
      }
      return undefined;
    },
    /** Whether any job waits (without building the list: asked after every start). */
    any(): boolean {
      for (const q of types.values()) if (q.queued.length > 0) return true;
      return false;
    },
    /** Every queued job, oldest claim first per type. */
    queued(): Queued[] {
      return [...types.values()].flatMap((q) => q.queued);
    },
    /** Empties the queue; its jobs. */
    drain(): JobRecord[] {
      return [...types.values()].flatMap((q) => q.queued.splice(0).map((entry) => entry.job));
    },
  };
}

export type LocalQueue = ReturnType<typeof createLocalQueue>;
