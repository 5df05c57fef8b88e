import { hostname } from "node:os";
import type { Logger } from "pino";
import { clusterTimings } from "../cluster/defaults.js";
import { resolveNodeId } from "../cluster/node-id.js";
import { inheritedEnvironment } from "../config/env.js";
import type { ResolvedDaemon } from "../config/types.js";
import { createEventBus } from "../events/bus.js";
import { createDurableDelivery } from "../events/durable.js";
import type { EventBus } from "../events/types.js";
import { startHttpServer } from "../http/server.js";
import { type Clock, systemClock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import type { CommandHost } from "../isolation/command-runner.js";
import { createReaper } from "../isolation/reaper.js";
import { ConfigError } from "../registry/errors.js";
import { createGraph } from "../registry/graph.js";
import type { DaemonJobs, NodeInfo, RingmasterConfig } from "../registry/types.js";
import { validateConfig } from "../registry/validate.js";
import { parseStoreUrl } from "../store/url.js";
import type { SupervisorHost } from "../supervisor/host.js";
import { LogRing } from "../supervisor/log-ring.js";
import { createBaseLogger } from "../supervisor/logger.js";
import { createSupervisionTree } from "../supervisor/tree.js";
import type { Manager, ManagerEvents, ManagerOptions } from "../supervisor/types.js";
import { clusterPart, isClusterScoped } from "./cluster.js";
import { type ConfigLayers, createConfigLayers } from "./config-layers.js";
import { containmentPart } from "./containment-part.js";
import { clusterCursors } from "./cursors.js";
import { heartbeatWriteInterval, PART_TIMEOUTS } from "./defaults.js";
import { createHandle } from "./handle.js";
import { createHttpPort } from "./http-port.js";
import { registerInspection } from "./internal-access.js";
import { createLifecycle, type Part } from "./lifecycle.js";
import { createLogFiles } from "./log-files.js";
import { daemonLog, queryLogs } from "./logs.js";
import {
  durablePart,
  httpPart,
  jobsPart,
  logFilesPart,
  programsPart,
  storePart,
  sweepersPart,
} from "./parts.js";
import type { Runtime } from "./runtime.js";
import { installSignalHandlers } from "./signals.js";

/** `ctx.jobs` of a manager that has no job service (before `start()` opens the store). */
const noJobs = () =>
  Promise.reject(new Error("jobs are not available: this manager has no job service"));
const NO_JOBS: DaemonJobs = {
  launch: noJobs,
  launchMany: noJobs,
  monitor: noJobs,
  cancel: noJobs,
  get: noJobs,
  list: noJobs,
};

/** The bus, and durable delivery of declared subscribers unless the store is `memory:`. */
function createEvents(options: {
  config: RingmasterConfig;
  clock: Clock;
  logger: Logger;
  storeUrl: string;
  daemons: Iterable<{ name: string; spec: { subscribes: readonly string[] } }>;
  /** Whether a subscriber should be fed now (see `DurableDeliveryOptions.active`). */
  active: (name: string) => boolean;
  runtime: () => Runtime;
}) {
  const { config, clock, logger } = options;
  const onError = (error: Error, context: string) => logger.error({ err: error }, context);
  const declared = new Map(
    [...options.daemons]
      .filter((d) => d.spec.subscribes.length > 0)
      .map((d) => [d.name, d.spec.subscribes] as const),
  );
  const durable =
    parseStoreUrl(options.storeUrl).kind === "memory"
      ? undefined
      : createDurableDelivery({
          clock,
          subscribers: declared,
          mailboxCapacity: config.events.mailboxCapacity,
          onError,
          onNotice: (line) => logger.warn(line),
          active: options.active,
          cursors: clusterCursors(options.runtime),
        });
  const bus = createEventBus({
    clock,
    options: config.events,
    onError,
    ...(durable ? { external: true, journal: durable.journal } : {}),
  });
  return { bus, durable };
}

/** The supervision tree over the resolved daemons, wired to the runtime built after it. */
function buildTree(options: {
  config: RingmasterConfig;
  daemons: ResolvedDaemon[];
  layers: ConfigLayers;
  bus: EventBus;
  node: NodeInfo;
  programs: CommandHost;
  clock: Clock;
  emit: SupervisorHost["emit"];
  listening: SupervisorHost["listening"];
  /** The set of wanted daemons grew: subscribers may be fed now. */
  wakeFeeds: () => void;
  runsHere: (name: string) => boolean;
  runtime: () => Runtime;
  /** ms: a daemon's heartbeat is handed on to be written at most this often. */
  heartbeatWriteInterval: number;
}) {
  const { config, daemons, layers, clock, runtime: rt } = options;
  return createSupervisionTree({
    graph: createGraph(daemons.map((d) => d.spec)),
    clock,
    daemons,
    startup: config.startup,
    startupOrder: config.startupOrder,
    host: {
      clock,
      bus: options.bus,
      node: options.node,
      // Where a daemon's code runs is the supervisor's business (supervisor/runner.ts).
      jobsFor: (name) => rt().jobs?.forDaemon(name) ?? NO_JOBS,
      leaseFor: (name) => rt().cluster?.lease(name),
      listening: options.listening,
      stallThreshold: config.stallThreshold,
      createLog: (name) => daemonLog(rt(), name),
      onHeartbeat: (d) => {
        const persistence = rt().persistence;
        if (!persistence || d.lastHeartbeatAt === null) return;
        // Each daemon keeps its own write-through; one of a closed store's (a manager started
        // again after a shutdown) is made again from the open one.
        let beats = d.heartbeatWrites;
        if (beats === undefined || beats.stopped) {
          beats = persistence.heartbeatOf(d.name);
          d.heartbeatWrites = beats;
        }
        beats.beat(d.lastHeartbeatAt, d.heartbeat);
      },
      heartbeatWriteInterval: options.heartbeatWriteInterval,
      emit: options.emit,
      programs: options.programs,
    },
    beforeStart: (d) => layers.applyPending(d),
    onState: (d) => {
      rt().persistence?.record(layers.recordOf(d));
      if (d.spec.scope === "cluster") rt().cluster?.onState(d);
    },
    onDesiredGrew: () => {
      options.wakeFeeds();
      rt().cluster?.wake();
    },
    mayRun: options.runsHere,
  });
}

/** This node's identity, and its id for a profile (start() completes it with the one it picks). */
function nodeIdentity(given: ManagerOptions["node"], fromEnv: string | undefined) {
  const host = given?.host ?? hostname();
  const nodeIdFor = (profile: string | null) =>
    resolveNodeId({ explicit: given?.id, fromEnv, host, profile });
  const node: NodeInfo = { id: nodeIdFor(null), host, pid: process.pid, profile: null };
  return { node, nodeIdFor };
}

/**
 * Creates a manager for `config`. Validates the registry and resolves every daemon's config at
 * once: any problem throws a {@link ConfigError} with one line per problem, before anything runs.
 * Declared subscribers get their mailboxes here, so no event is lost to start-up order.
 *
 * This is the composition root: it builds the runtime's parts and hands them to one lifecycle.
 * Start order: programs (the orphan reaper) → log files → store → durable delivery → jobs → sweepers →
 * cluster → containment → HTTP; then the supervision tree
 * starts the daemons. Shutdown: the daemons (through the tree), then the parts backwards.
 */
export function createManager(config: RingmasterConfig, options: ManagerOptions = {}): Manager {
  // 1. Config: validated and resolved before anything runs.
  const clock: Clock = options.clock ?? systemClock;
  const logger = createBaseLogger(options.logger);
  const validation = validateConfig(config);
  if (!validation.ok) throw new ConfigError(validation.errors.map((p) => p.message));
  const layers = createConfigLayers(config, options.env);
  const { resolved } = layers;
  for (const warning of [...validation.warnings.map((w) => w.message), ...resolved.warnings])
    logger.warn(warning);
  let timings: ReturnType<typeof clusterTimings>;
  try {
    timings = clusterTimings(config.cluster.timings);
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }

  // 2. Lifecycle events of the manager (never throw into their emitter).
  const emitter = new SafeEmitter<{ [K in keyof ManagerEvents]: ManagerEvents[K] }>(
    (event, error) => logger.error({ err: coerceError(error) }, `a listener of ${event} threw`),
  );
  const emit = <K extends keyof ManagerEvents>(event: K, payload: ManagerEvents[K]) =>
    emitter.emit(event, payload);

  // 3. Events: the bus, and durable delivery of declared subscribers with a persistent store.
  const storeUrl = options.store ?? resolved.settings.store;
  /** A cluster daemon runs here only while this node holds its lease. */
  const runsHere = (name: string) =>
    !isClusterScoped(rt, name) || rt.cluster?.lease(name) !== undefined;
  const { bus, durable } = createEvents({
    config,
    clock,
    logger,
    storeUrl,
    daemons: resolved.daemons.values(),
    active: (name) => rt.tree.isDesired(name) && runsHere(name),
    runtime: () => rt,
  });
  // The node id is stable across restarts (DESIGN.md §8): the option, `${PREFIX}_NODE_ID`, or
  // `<host>/<profile>`, completed with the profile when start() picks one.
  const { node, nodeIdFor } = nodeIdentity(options.node, resolved.settings.nodeId);

  // Programs (command daemons and jobs) and the reaper that outlives them all.
  const reaper = createReaper({
    onRestart: (reason) => logger.warn(`the orphan reaper died (${reason}); started a new one`),
  });
  const programs = {
    envPrefix: config.envPrefix,
    inheritedEnv: inheritedEnvironment(),
    tracker: reaper,
    reaper,
  };

  // 4. The supervision tree: one supervisor per daemon, fed by the one dependency graph.
  const daemons = [...resolved.daemons.values()];
  // Counted over the whole config, selected or not: the budget errs towards fewer writes.
  const heartbeatInterval = heartbeatWriteInterval(daemons.length);
  const tree = buildTree({
    config,
    daemons,
    layers,
    bus,
    node,
    programs,
    clock,
    emit,
    listening: emitter.listening,
    wakeFeeds: () => durable?.wake(),
    runsHere,
    runtime: () => rt,
    heartbeatWriteInterval: heartbeatInterval,
  });
  for (const d of daemons) if (d.spec.subscribes.length > 0) bus.declare(d.name, d.spec.subscribes);

  const rt: Runtime = {
    config,
    clock,
    logger,
    node,
    nodeIdFor,
    storeUrl,
    layers,
    bus,
    durable,
    tree,
    programs,
    logRing: new LogRing(),
    logFiles: config.logFiles ? createLogFiles(config.logFiles, { logger }) : undefined,
    clusterTimings: timings,
    heartbeatWriteInterval: heartbeatInterval,
    selection: [],
    cluster: undefined,
    emit,
    persistence: undefined,
    jobs: undefined,
    http: undefined,
    started: false,
    containment: { uncaughtErrors: 0, unownedStalls: 0 },
  };

  // 5. The parts, in start order (they stop backwards, only the ones that started).
  const parts: Part[] = [
    programsPart(rt),
    logFilesPart(rt),
    storePart(rt),
    durablePart(rt),
    jobsPart(rt),
    sweepersPart(rt),
    // The cluster's leases (membership is the store part's: the node id is claimed first).
    clusterPart(rt),
    containmentPart(rt, {
      mode: options.contain ?? config.contain,
      counts: rt.containment,
      shutdown: (cause) => void manager.shutdown({ cause }),
    }),
    httpPart(rt, (http) =>
      startHttpServer(port, {
        ...http,
        apiToken: rt.layers.resolved.settings.apiToken,
        ...(rt.jobs ? { jobs: rt.jobs } : {}),
      }),
    ),
  ];
  const lifecycle = createLifecycle({ clock, parts, timeouts: PART_TIMEOUTS });

  // 6. The public handle, the HTTP port over it, and the inspection tests use.
  const manager = createHandle(rt, lifecycle, emitter);
  const port = createHttpPort(rt, manager);
  registerInspection(manager, {
    node,
    get resolved() {
      return rt.layers.resolved;
    },
    get store() {
      return rt.persistence?.store;
    },
    get jobs() {
      return rt.jobs;
    },
    storeHealth: () => rt.persistence?.health(),
    queryLogs: (query) => queryLogs(rt, query),
    setOverrides: port.setOverrides!,
    httpPort: port,
  });
  if (options.handleSignals) installSignalHandlers(() => manager.shutdown(), logger);
  return manager;
}
