/**
 * The store folder's public face: opening a store by URL, its types, the sweeper and the write buffer.
 */
export { STORE_DEFAULTS } from "./defaults.js";
export { StoreError, StoreUnavailableError } from "./errors.js";
export { SCHEMA_VERSION } from "./migrations/index.js";
export { type CreateStoreOptions, createStore, openStore } from "./open.js";
export { type LogSweeper, type LogSweeperOptions, startLogSweeper } from "./sweeper.js";
export type * from "./types.js";
export { LOG_LEVEL_NUMBERS } from "./types.js";
export { parseStoreUrl, redactUrl } from "./url.js";
export {
  createWriteBuffer,
  type WriteBuffer,
  type WriteBufferOptions,
  type WriteBufferStats,
} from "./write-buffer.js";
