import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { defineJob } from "ringmaster";
import { z } from "zod";

export const metadataPayload = z.object({
  /** The media file. */
  path: z.string().min(1),
  /** Size and mtime the watcher saw: the version of the file this job describes. */
  size: z.number().int().nonnegative(),
  mtimeMs: z.number().nonnegative(),
  /** How long the simulated probe takes (ms). */
  probeMs: z.number().int().nonnegative().default(3000),
});

export type MetadataPayload = z.infer<typeof metadataPayload>;

const CODECS: Record<string, string> = {
  ".mp4": "h264",
  ".mkv": "hevc",
  ".webm": "vp9",
  ".mp3": "mp3",
};

/** sha256 of a file, read as a stream that stops when `signal` aborts. */
async function sha256(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The media library's job (seeds/001's metadata generation): size and checksum of one file, then
 * a simulated slow probe reporting progress in ten steps. Honours its signal, so a cancel (the
 * file was deleted) or the timeout stops it at once.
 */
export const metadataGenerate = defineJob({
  type: "metadata_generate",
  payload: metadataPayload,
  concurrency: 2,
  maxAttempts: 3,
  timeout: "60s",
  backoff: { initialDelay: "1s", factor: 2, maxDelay: "10s" },
  async run(payload, ctx) {
    const info = await stat(payload.path);
    ctx.progress(5, "hashing");
    const checksum = await sha256(payload.path, ctx.signal);
    const steps = 10;
    for (let step = 1; step <= steps; step++) {
      await sleep(payload.probeMs / steps, undefined, { signal: ctx.signal });
      ctx.progress(10 + (90 * step) / steps, `probing ${step}/${steps}`);
    }
    const metadata = {
      path: payload.path,
      size: info.size,
      sha256: checksum,
      codec: CODECS[extname(payload.path).toLowerCase()] ?? "unknown",
      durationSec: Math.round(info.size / 4096),
    };
    ctx.log.info(`metadata of ${payload.path}`, metadata);
    return metadata;
  },
});
