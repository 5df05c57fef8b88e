import { readdir, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { type DaemonContext, defineDaemon } from "ringmaster";
import { z } from "zod";
import type { MetadataPayload } from "./metadata-generate.js";

export const MEDIA_EXTENSIONS = [".mp4", ".mkv", ".webm", ".mp3"];

export const watcherConfig = z.object({
  /** The folder of media files. */
  dir: z.string().default(".ringmaster/media"),
  extensions: z.array(z.string()).default(MEDIA_EXTENSIONS),
  /** Passed to each job: how long its simulated probe takes (ms). */
  probeMs: z.number().int().nonnegative().default(3000),
});
export type WatcherConfig = z.infer<typeof watcherConfig>;

/** What the watcher knows of one file: the version it launched a job for, and that job. */
interface Tracked {
  size: number;
  mtimeMs: number;
  jobId: string;
}

type Ctx = DaemonContext<WatcherConfig>;

/**
 * The seeds' metadata watcher: scans the folder every second (a scan of sizes and mtimes, more
 * robust than fs.watch across platforms and editors), launches `metadata_generate` for each new or
 * changed file, monitors those jobs, and cancels the job of a file that disappeared. Every launch,
 * monitor and cancel is recorded as a job action by `ctx.jobs`.
 */
export function createLibraryWatcher() {
  const tracked = new Map<string, Tracked>();
  const monitoring = new Set<string>();

  const monitor = (ctx: Ctx, path: string, jobId: string) => {
    if (monitoring.has(jobId)) return;
    monitoring.add(jobId);
    ctx.jobs
      .monitor(jobId, { signal: ctx.signal })
      .then((job) => {
        const message = `${path}: metadata job ${job.status}`;
        if (job.status === "failed") ctx.log.warn(message, { jobId, error: job.error });
        else ctx.log.info(message, { jobId, result: job.result });
      })
      .catch(() => {
        // The daemon stopped (or the service did): the next start picks the job up again.
      })
      .finally(() => monitoring.delete(jobId));
  };

  async function scan(ctx: Ctx): Promise<Map<string, { size: number; mtimeMs: number }>> {
    const dir = resolve(ctx.config.dir);
    const found = new Map<string, { size: number; mtimeMs: number }>();
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return found; // no folder yet
    }
    for (const name of names) {
      if (!ctx.config.extensions.includes(extname(name).toLowerCase())) continue;
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (info.isFile()) found.set(path, { size: info.size, mtimeMs: info.mtimeMs });
      } catch {
        // deleted between readdir and stat: gone
      }
    }
    return found;
  }

  /** One pass: launch for new and changed files, cancel for deleted ones. */
  async function sync(ctx: Ctx): Promise<void> {
    const files = await scan(ctx);
    for (const [path, file] of files) {
      const known = tracked.get(path);
      if (known && known.size === file.size && known.mtimeMs === file.mtimeMs) continue;
      if (known) {
        const old = await ctx.jobs.get(known.jobId);
        if (old && (old.status === "pending" || old.status === "running"))
          await ctx.jobs.cancel(known.jobId, "file changed");
      }
      const payload: MetadataPayload = { path, ...file, probeMs: ctx.config.probeMs };
      const jobId = await ctx.jobs.launch("metadata_generate", payload, {
        reason: known ? "file changed" : "new file",
        dedupKey: `${path}@${file.mtimeMs}:${file.size}`,
      });
      tracked.set(path, { ...file, jobId });
      monitor(ctx, path, jobId);
    }
    for (const [path, known] of tracked) {
      if (files.has(path)) continue;
      tracked.delete(path);
      const job = await ctx.jobs.get(known.jobId);
      if (job && (job.status === "pending" || job.status === "running")) {
        await ctx.jobs.cancel(known.jobId, "file deleted");
        ctx.log.info(`${path} was deleted: cancelled its metadata job`, { jobId: known.jobId });
      }
    }
    ctx.heartbeat({ files: files.size, monitoring: monitoring.size });
  }

  return defineDaemon<WatcherConfig>({
    name: "library_watcher",
    description:
      "Launches metadata_generate for new or changed media files; cancels it for deleted ones",
    category: "media",
    config: watcherConfig,
    interval: "1s",
    // Each scan ends with a heartbeat, which reaches the daemon record (the seeds'
    // `SELECT name, status, now() - last_heartbeat FROM daemon_status`); a scan stuck for 30 s
    // makes it unhealthy, and three such checks restart it.
    heartbeatTimeout: "30s",
    async setup(ctx) {
      // What earlier runs already described: those files need no new job until they change.
      const done = await ctx.jobs.list({
        type: "metadata_generate",
        status: "completed",
        limit: 1000,
      });
      for (const job of [...done].reverse()) {
        const p = job.payload as MetadataPayload;
        tracked.set(p.path, { size: p.size, mtimeMs: p.mtimeMs, jobId: job.id });
      }
      // Jobs still live from an earlier run: watch them again.
      const live = await ctx.jobs.list({
        type: "metadata_generate",
        status: ["pending", "running"],
      });
      for (const job of live) {
        const p = job.payload as MetadataPayload;
        tracked.set(p.path, { size: p.size, mtimeMs: p.mtimeMs, jobId: job.id });
        monitor(ctx, p.path, job.id);
      }
      ctx.log.info(`watching ${resolve(ctx.config.dir)}`, { known: tracked.size });
    },
    cycle: sync,
    health() {
      return {
        status: "healthy",
        message: `${tracked.size} files, ${monitoring.size} jobs monitored`,
      };
    },
  });
}
