import type { FastifyInstance } from "fastify";
import { anyObject } from "../schemas.js";
import type { ServerContext } from "./context.js";

/** `/api/graph` (JSON, or drawn as text, mermaid or dot) and `/api/nodes`. */
export function registerGraphRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { manager, port } = ctx;
  const { graph } = port;

  // The drawn structure never changes; compute the static parts once.
  const levelOf = new Map<string, number>();
  graph.levels().forEach((level, i) => {
    for (const name of level) levelOf.set(name, i);
  });
  const edges = graph.names.flatMap((name) =>
    graph.dependenciesOf(name).map((dep) => ({ from: name, to: dep, kind: "dependsOn" })),
  );
  const specs = port.specs();
  const eventEdges = specs.flatMap((emitter) =>
    emitter.emits.flatMap((type) =>
      specs
        .filter((s) => s.subscribes.includes(type))
        .map((subscriber) => ({ from: emitter.name, to: subscriber.name, type })),
    ),
  );

  app.get<{ Querystring: { format: "json" | "text" | "mermaid" | "dot"; categories: boolean } }>(
    "/api/graph",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            format: { type: "string", enum: ["json", "text", "mermaid", "dot"], default: "json" },
            categories: { type: "boolean", default: false },
          },
        },
      },
    },
    (request, reply) => {
      const { format, categories } = request.query;
      const statuses = manager.status();
      if (format !== "json") {
        const states = Object.fromEntries(statuses.map((s) => [s.name, s.state]));
        return reply
          .type("text/plain; charset=utf-8")
          .send(graph.render(format, { states, categories }));
      }
      return reply.send({
        nodes: statuses.map((s) => ({
          name: s.name,
          category: s.category,
          state: s.state,
          health: s.health.status,
          critical: s.critical,
          enabled: s.enabled,
          level: levelOf.get(s.name) ?? null,
          dependsOn: s.dependsOn,
        })),
        edges,
        eventEdges,
        levels: graph.levels(),
        cycles: graph.findCycles(),
      });
    },
  );

  app.get(
    "/api/nodes",
    { schema: { response: { 200: { type: "array", items: anyObject } } } },
    async () => {
      const self = {
        ...port.node(),
        self: true,
        url: manager.url ?? null,
        started: port.started,
        shuttingDown: port.shuttingDown,
        live: manager.liveness().ok,
        ready: manager.readiness().ok,
      };
      // Every node of the cluster from the store; this one with its own live view merged in.
      const nodes = (await port.clusterNodes?.()) ?? [];
      if (!nodes.some((n) => n.id === self.id)) return [self, ...nodes.map(other)];
      return nodes.map((n) => (n.id === self.id ? { ...n, ...self } : other(n)));
    },
  );
}

/** Another node, as `/api/nodes` shows it: its stored view; live and ready as far as it is known. */
const other = <T extends { state: string }>(n: T) => ({
  ...n,
  self: false,
  started: n.state === "live",
  shuttingDown: false,
  live: n.state === "live",
  ready: n.state === "live",
});
