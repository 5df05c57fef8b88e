import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { defineDaemon } from "ringmaster";
import { z } from "zod";

export const seederConfig = z.object({
  dir: z.string().default(".ringmaster/media"),
  /** At most this many demo files at once. */
  maxFiles: z.number().int().positive().default(6),
});
export type SeederConfig = z.infer<typeof seederConfig>;

const EXTENSIONS = [".mp4", ".mkv", ".webm", ".mp3"];

/**
 * Demo activity for the media library: every few seconds creates, changes or deletes a file in
 * the watched folder, so the watcher has jobs to launch, monitor and cancel.
 */
export const mediaSeeder = defineDaemon<SeederConfig>({
  name: "media_seeder",
  description: "Creates, changes and deletes demo media files so the watcher has work",
  category: "media",
  config: seederConfig,
  interval: "4s",
  async setup(ctx) {
    await mkdir(resolve(ctx.config.dir), { recursive: true });
  },
  async cycle(ctx) {
    const dir = resolve(ctx.config.dir);
    const files = (await readdir(dir)).filter((n) => EXTENSIONS.some((e) => n.endsWith(e)));
    const roll = Math.random();
    if (files.length < 2 || (roll < 0.5 && files.length < ctx.config.maxFiles)) {
      const name = `clip-${Date.now().toString(36)}${EXTENSIONS[Math.floor(Math.random() * EXTENSIONS.length)]}`;
      await writeFile(
        join(dir, name),
        randomBytes(64 * 1024 + Math.floor(Math.random() * 512 * 1024)),
      );
      ctx.log.info(`created ${name}`);
    } else if (roll < 0.75) {
      const name = files[Math.floor(Math.random() * files.length)] as string;
      await appendFile(join(dir, name), randomBytes(32 * 1024));
      ctx.log.info(`changed ${name}`);
    } else {
      const name = files[Math.floor(Math.random() * files.length)] as string;
      await rm(join(dir, name), { force: true });
      ctx.log.info(`deleted ${name}`);
    }
  },
});
