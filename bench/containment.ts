/**
 * Containment figures from real runs (not part of the suite): for each fault the fleet of
 * test/containment/fixtures/fleet.ts runs in a child process; this prints the time from the fault
 * to the culprit running again and the canary's cycle lateness (50 ms interval) from the fault
 * until two seconds after it.
 *
 *   npx tsx bench/containment.ts [fault…]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FLEET = join(import.meta.dirname, "..", "test", "containment", "fixtures", "fleet.ts");
const FAULTS = ["timer-throw", "rejection", "emitter-error", "stall", "stall-after-await", "heap"];
type Line = { t: number; kind: string; [key: string]: unknown };

function runFleet(fault: string): Promise<Line[]> {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-contain-"));
  const args = fault === "heap" ? ["--max-old-space-size=160"] : [];
  const child = spawn(
    process.execPath,
    [...args, "--import", "tsx", FLEET, fault, join(dir, "state.db")],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const lines: Line[] = [];
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Line);
      buffer = buffer.slice(i + 1);
    }
    const fault$ = lines.find(
      (l) => l.kind === "fault" || (l.kind === "state" && l.to === "backoff"),
    );
    const last = lines[lines.length - 1];
    if (fault$ && last && last.t > fault$.t + 3000) child.kill("SIGTERM");
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", () => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve(lines);
    });
  });
}

const pick = (xs: number[], q: number) =>
  xs.sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? 0;

const faults = process.argv.slice(2).length > 0 ? process.argv.slice(2) : FAULTS;
console.log(
  "| fault | fault → culprit running again | canary lateness p50 / max (2 s after) | culprit stalls / canary stalls |",
);
console.log("|---|---|---|---|");
for (const fault of faults) {
  const lines = await runFleet(fault);
  const at =
    lines.find((l) => l.kind === "fault")?.t ??
    lines.find((l) => l.kind === "state" && l.to === "backoff")?.t;
  if (at === undefined) {
    console.log(`| ${fault} | no fault seen | | |`);
    continue;
  }
  const back = lines.find((l) => l.kind === "state" && l.to === "running" && l.t > at);
  const late = lines
    .filter((l) => l.kind === "canary" && l.t >= at && l.t <= at + 2000)
    .map((l) => l.late as number);
  const status = lines.filter((l) => l.kind === "status").pop();
  const recovered = back
    ? `${back.t - at} ms`
    : fault.startsWith("stall")
      ? "(not failed: counted)"
      : "not within the run";
  console.log(
    `| ${fault} | ${recovered} | ${pick([...late], 0.5)} / ${Math.max(0, ...late)} ms | ${status?.stalls ?? "?"} / ${status?.canaryStalls ?? "?"} |`,
  );
}
