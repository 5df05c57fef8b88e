/**
 * Runs the whole suite (`npm run bench`), each benchmark in a child process of its own so none
 * inherits another's heap or JIT state, then prints one table of every result and writes it to
 * `bench/results/summary.md`. `npm run bench -- startup events` runs only those (the summary
 * keeps the latest results of the others).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR, formatTable, machine, RESULTS_DIR, type Result } from "./lib.js";
import { SUITE } from "./suite.js";

const only = process.argv.slice(2);
const t0 = performance.now();
const results: Result[] = [];
const skipped: string[] = [];
let failed = 0;
for (const entry of SUITE) {
  const file = join(RESULTS_DIR, `${entry.name}.json`);
  if (only.length > 0 && !only.includes(entry.name)) {
    // Not run now: its latest result still belongs in the summary.
    if (!entry.pending && existsSync(file))
      results.push(JSON.parse(readFileSync(file, "utf8")) as Result);
    continue;
  }
  if (entry.pending) {
    console.log(`\n== ${entry.name}: not yet available (${entry.pending})`);
    skipped.push(`${entry.name}: not yet available (${entry.pending})`);
    continue;
  }
  console.log(`\n== ${entry.name}`);
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(BENCH_DIR, `${entry.name}.ts`)],
    { stdio: "inherit" },
  );
  if (child.status !== 0 || !existsSync(file)) {
    console.error(`${entry.name} failed (exit ${child.status})`);
    failed++;
    continue;
  }
  results.push(JSON.parse(readFileSync(file, "utf8")) as Result);
}
const m = machine();
const seconds = ((performance.now() - t0) / 1000).toFixed(0);
const table = formatTable(results);
const summary = [
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}, Node ${m.node}; ${m.date}; suite took ${seconds} s.`,
  "",
  table,
  ...(skipped.length > 0 ? ["", ...skipped.map((s) => `- ${s}`)] : []),
  "",
].join("\n");
writeFileSync(join(RESULTS_DIR, "summary.md"), summary);
console.log(`\n${summary}`);
process.exit(failed > 0 ? 1 : 0);
