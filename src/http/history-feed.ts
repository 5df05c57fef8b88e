import { createHistory, HISTORY_DEFAULTS, type History, startHistorySampler } from "./history.js";
import type { HttpPort } from "./port.js";
import type { JobsApi } from "./seams.js";

/** Job statuses after which a job changes no more (its entry in the feed is dropped). */
const FINISHED = new Set(["completed", "succeeded", "failed", "cancelled"]);

/**
 * Feeds a {@link History} from what the manager already counts: the daemons' status (cycles,
 * errors, restarts, last cycle duration), the bus's totals and held dead letters, each job's status
 * changes, and every state change as it happens. Returns the history and a stop function.
 */
export function startHistoryFeed(
  port: HttpPort,
  jobs: JobsApi | undefined,
  options: Partial<typeof HISTORY_DEFAULTS> = {},
): { history: History; stop(): void } {
  const settings = { ...HISTORY_DEFAULTS, ...options };
  const history = createHistory(settings);
  const { manager, events } = port;
  // Totals of jobs reaching each status; a job counts once per status it reaches.
  const reached: Record<string, number> = {};
  const lastStatus = new Map<string, string>();
  const offs = [
    manager.on("daemon:state", (change) => history.recordState(change.name, change.to, change.at)),
  ];
  if (jobs?.on)
    offs.push(
      jobs.on((update) => {
        if (lastStatus.get(update.id) === update.status) return;
        reached[update.status] = (reached[update.status] ?? 0) + 1;
        if (FINISHED.has(update.status)) lastStatus.delete(update.id);
        else lastStatus.set(update.id, update.status);
      }),
    );
  const stopSampling = startHistorySampler(
    history,
    () => {
      const stats = events.stats();
      return {
        at: manager.clock.now(),
        daemons: manager.status(),
        events: { published: stats.published, delivered: stats.delivered },
        deadLetters: events.deadLetters().length,
        jobs: { ...reached },
      };
    },
    manager.clock,
    settings.interval,
  );
  return {
    history,
    stop() {
      stopSampling();
      for (const off of offs) off();
    },
  };
}
