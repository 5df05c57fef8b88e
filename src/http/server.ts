import type { ManagerInternals } from "../supervisor/manager.js";
import type { Manager } from "../supervisor/types.js";

export interface HttpServerOptions {
  host: string;
  port: number;
  apiToken: string | undefined;
}

/** Placeholder until the HTTP server lands: refuses clearly instead of pretending. */
export async function startHttpServer(
  _manager: Manager,
  _internals: ManagerInternals,
  options: HttpServerOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  throw new Error(
    `the HTTP server is not built yet (asked for ${options.host}:${options.port}); set http: false`,
  );
}
