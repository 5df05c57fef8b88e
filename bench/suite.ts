/**
 * The benchmarks of `npm run bench`, in the order they run. Adding one is one line here plus its
 * module `bench/<name>.ts` (default export: a `Benchmark`, and `runIfMain`). An entry with
 * `pending` is listed and skipped until the code it measures exists.
 */
export interface SuiteEntry {
  /** Module stem in `bench/` and result file stem in `bench/results/`. */
  name: string;
  /** Why it cannot run yet; the entry is printed as "not yet available". */
  pending?: string;
}

export const SUITE: readonly SuiteEntry[] = [
  { name: "startup" },
  { name: "supervision" },
  { name: "events" },
  { name: "durable-events" },
  { name: "jobs" },
  { name: "probes" },
  { name: "restart" },
  { name: "cluster" },
  { name: "cli" },
];
