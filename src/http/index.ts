// The HTTP surface: the server the manager starts, and the client the CLI uses.
export type {
  ClientOptions,
  ConfigPatchResult,
  DaemonDetail,
  GraphView,
  NodeView,
  RingmasterClient,
  StreamMessage,
  StreamOptions,
} from "./client.js";
export { ApiError, createClient, ManagerUnreachableError, parseEventStream } from "./client.js";
export { formatStatusLine } from "./format.js";
export type { HttpPort } from "./port.js";
export type {
  ConfigOverrides,
  JobFilter,
  JobsApi,
  JobUpdate,
  JobView,
  StoreStatsSource,
} from "./seams.js";
export { memoryConfigOverrides } from "./seams.js";
export type { HttpServer, HttpServerOptions } from "./server.js";
export { HTTP_DEFAULTS, startHttpServer } from "./server.js";
export type { StreamEventType } from "./stream.js";
