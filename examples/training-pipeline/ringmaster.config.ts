/**
 * The training-pipeline fleet: `npm start` runs it, `npx ringmaster validate|graph|list --config
 * examples/training-pipeline/ringmaster.config.ts` inspects it. Environment variables override any
 * daemon's config, e.g. RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES=200.
 */
import { trainingPipelineConfig } from "./fleet.js";

export default trainingPipelineConfig();
