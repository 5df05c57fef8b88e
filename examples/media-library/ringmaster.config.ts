/**
 * The media library: `npm run example:media` runs it. media_seeder creates, changes and deletes
 * files in .ringmaster/media; library_watcher launches a metadata_generate job for each new or
 * changed file, monitors it, and cancels it when the file disappears ("file deleted").
 * `npx ringmaster jobs list` (or GET /api/jobs) shows the jobs and their recorded actions.
 */
import { mediaLibraryConfig } from "./fleet.js";

export default mediaLibraryConfig();
