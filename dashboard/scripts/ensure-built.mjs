#!/usr/bin/env node
// Builds the dashboard when dist/dashboard is missing or older than its sources: `npm start`
// (prestart) and the browser tests run it, so a fresh checkout shows the page without a manual
// build and an unchanged one costs a few stat calls. `--force` always builds.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = fileURLToPath(new URL("../../dist/dashboard/index.html", import.meta.url));
const sources = ["index.html", "vite.config.ts", "tsconfig.json", "src"].map((p) => join(root, p));

/** The newest modification time under `path` (ms). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function staleness() {
  if (process.argv.includes("--force")) return "a build was asked for";
  if (!existsSync(output)) return "dist/dashboard is missing";
  const built = statSync(output).mtimeMs;
  const changed = Math.max(...sources.map(newest));
  return changed > built ? "its sources changed since the last build" : undefined;
}

const why = staleness();
if (why) {
  console.log(`ringmaster: building the dashboard (${why})…`);
  let vite;
  try {
    vite = await import("vite");
  } catch {
    console.error(
      "ringmaster: cannot build the dashboard: vite is not installed (run `npm install` in the ringmaster checkout)",
    );
    process.exit(1);
  }
  const t0 = Date.now();
  await vite.build({ configFile: join(root, "vite.config.ts"), logLevel: "warn" });
  console.log(`ringmaster: dashboard built in ${Date.now() - t0} ms`);
}
