import { type Command, Option } from "commander";
import { formatDuration } from "../../registry/duration.js";
import type { JobActionRecord, JobStatus } from "../../registry/types.js";
import { action } from "../action.js";
import { colourEnabled, type Painter, painter } from "../ansi.js";
import { table } from "../format.js";
import { CliError, type CliIO, EXIT, println } from "../io.js";
import { ago } from "../lines.js";
import { positiveInt } from "../options.js";
import {
  fallbackNotice,
  openRecordedStore,
  type Remote,
  type RemoteFlags,
  remoteOptions,
  resolveRemote,
} from "../remote.js";

const STATUSES = ["pending", "running", "completed", "failed", "cancelled"] as const;

/** A job as the API and the store both show it (the fields the CLI prints). */
interface JobLike {
  id: string;
  type: string;
  status: string;
  progress?: number;
  progressMessage?: string | null;
  attempts?: number;
  maxAttempts?: number;
  launchedBy?: string | null;
  reason?: string | null;
  error?: string | null;
  createdAt?: number;
  updatedAt?: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  payload?: unknown;
  result?: unknown;
  actions?: JobActionRecord[];
  [key: string]: unknown;
}

interface ListFlags extends RemoteFlags {
  status?: JobStatus;
  type?: string;
  daemon?: string;
  limit: number;
  json?: boolean;
}

/** `ringmaster jobs [list|show <id>|cancel <id>]`: the jobs daemons launched. */
export function jobsCommand(program: Command, io: CliIO): void {
  const jobs = program
    .command("jobs")
    .description("list jobs, show one with its recorded actions, cancel one")
    .addHelpText(
      "after",
      `
With no manager running, list and show read the store, and say so; cancel needs the manager.

Examples:
  $ ringmaster jobs
  $ ringmaster jobs list --status running --daemon training_trigger
  $ ringmaster jobs show 01JH5X…
  $ ringmaster jobs cancel 01JH5X… --reason "superseded by a newer model"`,
    );

  listCommand(jobs, io);
  showCommand(jobs, io);
  cancelCommand(jobs, io);
}

/** `ringmaster jobs list` (the default). */
function listCommand(jobs: Command, io: CliIO): void {
  remoteOptions(
    jobs.command("list", { isDefault: true }).description("list recent jobs, newest first"),
  )
    .addOption(new Option("--status <status>", "only jobs in this status").choices(STATUSES))
    .option("--type <type>", "only jobs of this type")
    .option("--daemon <name>", "only jobs this daemon launched")
    .option("-n, --limit <n>", "at most this many (default 50)", positiveInt(10_000), 50)
    .option("--json", "one JSON array")
    .addHelpText(
      "after",
      `
Examples:
  $ ringmaster jobs list
  ID          TYPE      STATUS   PROGRESS  ATTEMPTS  LAUNCHED BY       UPDATED  ERROR
  01JH5X…     training  running  40%       1/3       training_trigger  2s ago
  $ ringmaster jobs list --status failed --json`,
    )
    .action(
      action(io, async (flags: ListFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.tryConnect();
        const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
        let rows: JobLike[];
        if (client) {
          rows = (await client.jobs({
            ...(flags.status ? { status: flags.status } : {}),
            ...(flags.type ? { type: flags.type } : {}),
            ...(flags.daemon ? { daemon: flags.daemon } : {}),
            limit: flags.limit,
          })) as JobLike[];
        } else {
          rows = await fromStore(remote, flags.json === true, io, p, (store) =>
            store.listJobs({
              ...(flags.status ? { status: flags.status } : {}),
              ...(flags.type ? { type: flags.type } : {}),
              ...(flags.daemon ? { launchedBy: flags.daemon } : {}),
              limit: flags.limit,
            }),
          );
        }
        if (flags.json) {
          println(io.stdout, JSON.stringify(rows, null, 2));
          return EXIT.ok;
        }
        if (rows.length === 0) {
          println(io.stdout, p.gray("(no jobs)"));
          return EXIT.ok;
        }
        for (const line of jobTable(rows, p)) println(io.stdout, line);
        return EXIT.ok;
      }),
    );
}

/** `ringmaster jobs show <id>`: one job with its recorded actions. */
function showCommand(jobs: Command, io: CliIO): void {
  remoteOptions(
    jobs
      .command("show")
      .description("one job with its recorded actions")
      .argument("<id>", "job id"),
  )
    .option("--json", "one JSON object")
    .addHelpText(
      "after",
      `
Examples:
  $ ringmaster jobs show 01JH5X…
  $ ringmaster jobs show 01JH5X… --json`,
    )
    .action(
      action(io, async (id: string, flags: RemoteFlags & { json?: boolean }) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.tryConnect();
        const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
        let job: JobLike;
        if (client) job = (await client.job(id)) as JobLike;
        else {
          const found = await fromStore(remote, flags.json === true, io, p, async (store) => {
            const record = await store.getJob(id);
            return record
              ? { ...record, actions: await store.listJobActions({ jobId: id }) }
              : null;
          });
          if (!found) throw new CliError(EXIT.failure, [`no job with id "${id}"`]);
          job = found;
        }
        if (flags.json) {
          println(io.stdout, JSON.stringify(job, null, 2));
          return EXIT.ok;
        }
        for (const line of describeJob(job, p)) println(io.stdout, line);
        return EXIT.ok;
      }),
    );
}

/** `ringmaster jobs cancel <id>`. */
function cancelCommand(jobs: Command, io: CliIO): void {
  remoteOptions(
    jobs
      .command("cancel")
      .description("cancel a pending or running job")
      .argument("<id>", "job id"),
  )
    .option("--reason <text>", "why (recorded with the cancel)")
    .addHelpText(
      "after",
      `
A pending job is cancelled at once; a running one is asked to stop and ends cancelled. Exits 1 for
an unknown id or a job already finished (409), 3 with no manager.

Example:
  $ ringmaster jobs cancel 01JH5X… --reason "superseded by a newer model"`,
    )
    .action(
      action(io, async (id: string, flags: RemoteFlags & { reason?: string }) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.connect();
        const p = painter(colourEnabled(io.stdout, io.env));
        const job = (await client.cancelJob(id, flags.reason)) as JobLike;
        const pending =
          job.status === "running" ? " (cancel requested: it stops at its next check)" : "";
        println(
          io.stdout,
          `job ${job.id} (${job.type}): ${paintJobStatus(job.status, p)}${pending}`,
        );
        return EXIT.ok;
      }),
    );
}

/** The list's table: one job a line, newest first as given. */
function jobTable(rows: JobLike[], p: Painter): string[] {
  const now = Date.now();
  return table([
    ["ID", "TYPE", "STATUS", "PROGRESS", "ATTEMPTS", "LAUNCHED BY", "UPDATED", "ERROR"].map((h) =>
      p.bold(h),
    ),
    ...rows.map((j) => [
      j.id,
      j.type,
      paintJobStatus(j.status, p),
      j.progress !== undefined ? `${Math.round(j.progress)}%` : "-",
      j.attempts !== undefined ? `${j.attempts}/${j.maxAttempts ?? "?"}` : "-",
      j.launchedBy ?? "-",
      j.updatedAt !== undefined ? ago(j.updatedAt, now) : "-",
      j.error ? p.red(j.error) : "",
    ]),
  ]);
}

/** Runs `read` against the recorded store, printing the fallback notice first. */
async function fromStore<T>(
  remote: Remote,
  json: boolean,
  io: CliIO,
  p: Painter,
  read: (store: Awaited<ReturnType<typeof openRecordedStore>>) => Promise<T>,
): Promise<T> {
  const store = await openRecordedStore(remote);
  try {
    const value = await read(store);
    println(json ? io.stderr : io.stdout, p.yellow(fallbackNotice(remote)));
    return value;
  } finally {
    await store.close().catch(() => {});
  }
}

function paintJobStatus(status: string, p: Painter): string {
  switch (status) {
    case "completed":
      return p.green(status);
    case "running":
      return p.cyan(status);
    case "pending":
      return p.yellow(status);
    case "failed":
      return p.red(status);
    default:
      return p.gray(status);
  }
}

const time = (at: number | null | undefined) =>
  at === null || at === undefined ? "-" : new Date(at).toISOString();

const json = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return String(value);
  }
};

/** `id: …`, `status: running 40% (epoch 3/10)`, …, then the actions, one a line. */
function describeJob(job: JobLike, p: Painter): string[] {
  const duration =
    job.startedAt && job.finishedAt
      ? ` (ran ${formatDuration(job.finishedAt - job.startedAt)})`
      : "";
  const progress =
    job.status === "running" && job.progress !== undefined
      ? ` ${Math.round(job.progress)}%${job.progressMessage ? ` (${job.progressMessage})` : ""}`
      : "";
  const rows: [string, string][] = [
    ["id", job.id],
    ["type", job.type],
    ["status", `${paintJobStatus(job.status, p)}${progress}${duration}`],
    ["attempts", `${job.attempts ?? "-"}/${job.maxAttempts ?? "-"}`],
    ["launched by", job.launchedBy ?? "-"],
    ["reason", job.reason ?? "-"],
    ["created", time(job.createdAt)],
    ["started", time(job.startedAt)],
    ["finished", time(job.finishedAt)],
    ["payload", json(job.payload)],
  ];
  if (job.result !== undefined && job.result !== null) rows.push(["result", json(job.result)]);
  if (job.error) rows.push(["error", p.red(job.error)]);
  const lines = table(rows.map(([k, v]) => [`${k}:`, v]));
  const actions = job.actions ?? [];
  lines.push("", p.bold(`actions (${actions.length}):`));
  lines.push(
    ...table(
      actions.map((a) => [
        `  ${time(a.at)}`,
        a.action.toUpperCase(),
        a.daemon,
        a.reason ? p.gray(a.reason) : "",
      ]),
    ),
  );
  return lines;
}
