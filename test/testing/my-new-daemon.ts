// A user's daemon, as the seeds' "Adding a new daemon" guide writes one (seed 000): the example
// the ringmaster/testing tests below exercise. It only touches what `ctx` gives it.
import { defineDaemon } from "ringmaster";
import { z } from "zod";

declare module "ringmaster" {
  interface Events {
    SCAN_COMPLETED: { found: number };
  }
}

export const myNewDaemon = defineDaemon({
  name: "my_new_daemon",
  category: "pipeline",
  config: z.object({
    maxRetries: z.number().int().default(3),
    /** Where new files are found; "offline" makes every scan fail. */
    source: z.string().default("local"),
    /** How many new files a scan finds. */
    newFiles: z.number().int().default(2),
  }),
  interval: "60s",
  emits: ["SCAN_COMPLETED"],
  async cycle(ctx) {
    if (ctx.config.source === "offline") throw new Error(`cannot reach ${ctx.config.source}`);
    const found = ctx.config.newFiles;
    ctx.log.info("scan done", { found });
    ctx.events.publish("SCAN_COMPLETED", { found });
    if (found > 0) {
      await ctx.jobs.launch("metadata_generate", { count: found }, { reason: "new files" });
    }
  },
  health(ctx) {
    const { consecutiveErrors, cycles } = ctx.stats;
    if (consecutiveErrors > ctx.config.maxRetries)
      return { healthy: false, message: `${consecutiveErrors} failed scans` };
    return { healthy: true, message: "ok", details: { cycles } };
  },
});
