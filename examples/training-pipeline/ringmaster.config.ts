/**
 * The training-pipeline fleet: `npm start` runs it, `npx ringmaster validate|graph|list --config
 * examples/training-pipeline/ringmaster.config.ts` inspects it. Environment variables override any
 * daemon's config, e.g. RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES=200.
 *
 * Each daemon's log lines also go to `.ringmaster/logs/<name>.log` beside the store, as the seeds'
 * `tail -f logs/auto_sync.log` expects (rotated at 10 MB, 5 old files kept; `{ dir, maxSize,
 * maxFiles }` to change that).
 */
import { trainingPipelineConfig } from "./fleet.js";

export default trainingPipelineConfig({ logFiles: ".ringmaster/logs" });
