/**
 * JSON schemas of the API: requests are validated by Fastify (bad input → 400 naming the field),
 * responses are serialized by fast-json-stringify. Response objects allow additional properties
 * so a field the manager adds later is not silently dropped.
 */

const nullable = (type: string) => ({ type: [type, "null"] });
const stringArray = { type: "array", items: { type: "string" } } as const;
const anyObject = { type: "object", additionalProperties: true } as const;

export const healthSchema = {
  type: "object",
  properties: {
    status: { type: "string" },
    message: { type: "string" },
    details: anyObject,
    checkedAt: nullable("number"),
    source: { type: "string" },
  },
  additionalProperties: true,
} as const;

export const probeSchema = {
  type: "object",
  properties: {
    ok: { type: "boolean" },
    reasons: stringArray,
    warnings: stringArray,
    store: {
      type: "object",
      properties: {
        state: { type: "string" },
        since: nullable("number"),
        buffered: { type: "integer" },
        bytesBuffered: { type: "integer" },
        spooled: { type: "integer" },
        spoolBytes: { type: "integer" },
        dropped: { type: "integer" },
        refused: { type: "integer" },
      },
    },
  },
} as const;

const statusProperties = {
  name: { type: "string" },
  description: { type: "string" },
  category: { type: "string" },
  state: { type: "string" },
  ready: { type: "boolean" },
  requested: { type: "boolean" },
  pulledInBy: stringArray,
  waitingOn: stringArray,
  health: healthSchema,
  restarts: { type: "integer" },
  restartAttempt: { type: "integer" },
  maxRestarts: { type: "integer" },
  lastError: nullable("string"),
  lastErrorAt: nullable("number"),
  startedAt: nullable("number"),
  unstopped: nullable("string"),
  stoppedAt: nullable("number"),
  nextRestartAt: nullable("number"),
  lastHeartbeatAt: nullable("number"),
  heartbeat: { type: ["object", "null"], additionalProperties: true },
  cycles: { type: "integer" },
  cycleErrors: { type: "integer" },
  consecutiveErrors: { type: "integer" },
  lastCycleAt: nullable("number"),
  lastCycleDurationMs: nullable("number"),
  dependsOn: stringArray,
  dependents: stringArray,
  subscribes: stringArray,
  emits: stringArray,
  critical: { type: "boolean" },
  enabled: { type: "boolean" },
  autoStart: { type: "boolean" },
  deprecated: nullable("string"),
  schedule: {
    type: "object",
    properties: { interval: nullable("number"), cron: nullable("string") },
  },
  isolation: {
    type: "object",
    properties: {
      kind: { type: "string" },
      pid: { type: "integer" },
      threadId: { type: "integer" },
      processes: { type: "integer" },
      rssBytes: { type: "number" },
      heapBytes: { type: "number" },
      cpuPercent: { type: "number" },
    },
  },
} as const;

export const daemonStatusSchema = {
  type: "object",
  properties: statusProperties,
  additionalProperties: true,
} as const;

export const daemonDetailSchema = {
  type: "object",
  properties: {
    ...statusProperties,
    options: anyObject,
    config: {
      type: "object",
      properties: {
        values: anyObject,
        sources: anyObject,
        pending: anyObject,
        next: anyObject,
        changes: anyObject,
      },
    },
    transitions: { type: "array", items: anyObject },
  },
  additionalProperties: true,
} as const;

export const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", minLength: 1, maxLength: 200 } },
} as const;

export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 200 } },
} as const;

export const limitProperty = (max: number, fallback: number) =>
  ({ type: "integer", minimum: 1, maximum: max, default: fallback }) as const;

export const logLevels = ["debug", "info", "warn", "error"] as const;

export const logsQuery = {
  type: "object",
  properties: {
    level: { type: "string", enum: logLevels },
    since: { type: "string", minLength: 1, maxLength: 64 },
    limit: limitProperty(10_000, 200),
  },
  additionalProperties: false,
} as const;

export const logEntrySchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    at: { type: "number" },
    daemon: { type: "string" },
    level: { type: "string" },
    message: { type: "string" },
    fields: anyObject,
  },
} as const;

export const errorBodySchema = {
  type: "object",
  properties: {
    statusCode: { type: "integer" },
    error: { type: "string" },
    message: { type: "string" },
  },
} as const;

export { anyObject, stringArray };
