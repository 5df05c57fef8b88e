/**
 * The supervision path alone, on a manual clock: `SUPERVISION_DAEMONS` (10,000) periodic daemons at
 * 100 ms with the memory store, the clock advanced 100 ms at a time for `SUPERVISION_STEPS` (600,
 * i.e. 60 s of their time) after 10 s of warm-up, and the CPU time per cycle printed. No timers
 * of the machine, no lateness: what one cycle costs in JavaScript (scheduling, the cycle, its
 * heartbeat written through every 5 s), comparable between two versions of the code on a loaded
 * machine better than `supervision.ts` is (run each twice).
 *
 *   npx tsx bench/supervision-cycles.ts
 */
import { createManager, createManualClock, defineConfig, defineDaemon } from "../src/index.js";

const N = Number(process.env.SUPERVISION_DAEMONS ?? 10_000);
const STEPS = Number(process.env.SUPERVISION_STEPS ?? 600);
const INTERVAL = 100;

async function main(): Promise<void> {
  let work = 0;
  const daemons = Array.from({ length: N }, (_, i) =>
    defineDaemon({
      name: `periodic_${i}`,
      interval: INTERVAL,
      cycle: () => {
        work++;
      },
    }),
  );
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const manager = createManager(defineConfig({ daemons, store: "memory:" }), {
    clock,
    logger: false,
  });
  const report = await manager.start();
  if (report.running.length !== N) throw new Error(`only ${report.running.length} of ${N} running`);
  for (let i = 0; i < 100; i++) await clock.advance(INTERVAL);
  const work0 = work;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < STEPS; i++) await clock.advance(INTERVAL);
  const cpu = process.cpuUsage(cpu0);
  const cycles = work - work0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    JSON.stringify({
      daemons: N,
      cycles,
      expectedCycles: N * STEPS,
      cpuMs: Math.round(cpuMs),
      nsPerCycle: Math.round((cpuMs * 1e6) / cycles),
    }),
  );
  const stopping = manager.shutdown();
  for (let i = 0; i < 100; i++) await clock.advance(1000);
  await stopping;
}

await main();
