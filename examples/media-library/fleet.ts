import { defineConfig, type RingmasterConfig } from "ringmaster";
import { createLibraryWatcher } from "./library-watcher.js";
import { mediaSeeder } from "./media-seeder.js";
import { metadataGenerate } from "./metadata-generate.js";

export interface MediaLibraryOptions {
  /** The watched folder. Default `.ringmaster/media`. */
  dir?: string;
  store?: string;
  /** Include the demo seeder (default true). */
  seeder?: boolean;
  probeMs?: number;
}

/** The media library of seeds/001: a watcher daemon launching metadata jobs, and a demo seeder. */
export function mediaLibraryConfig(options: MediaLibraryOptions = {}): RingmasterConfig {
  const dir = options.dir ?? ".ringmaster/media";
  return defineConfig({
    daemons: [createLibraryWatcher(), ...(options.seeder === false ? [] : [mediaSeeder])],
    jobs: [metadataGenerate],
    store: options.store ?? "sqlite:.ringmaster/media-library.db",
    http: { host: "127.0.0.1", port: 8790 },
    daemonConfig: {
      library_watcher: {
        dir,
        ...(options.probeMs !== undefined ? { probeMs: options.probeMs } : {}),
      },
      media_seeder: { dir },
    },
  });
}
