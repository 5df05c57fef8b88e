import { useEffect, useRef, useState } from "preact/hooks";
import { refusal } from "../actions";
import { getJson, post } from "../api";
import { Ago } from "../components/Badges";
import { ProgressBar } from "../components/ProgressBar";
import { formatDuration, show } from "../format";
import { daemonHref } from "../hooks";
import { live } from "../live";
import { notify } from "../notices";
import type { JobAction, JobRecord, JobStatus, JobUpdate } from "../types";

/** Jobs listed (newest first); finished ones beyond this are not shown. */
const JOBS_LISTED = 200;
/** Finished jobs shown. */
const FINISHED_SHOWN = 50;
/** An update for a job the page does not know yet refetches the list this much later. */
const UNKNOWN_JOB_REFETCH_DELAY = 300;

const FINISHED: JobStatus[] = ["completed", "failed", "cancelled"];

/** Jobs: running with live progress, pending, finished; each job's actions; cancel. */
export function JobsView() {
  const [jobs, setJobs] = useState<Map<string, JobRecord>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const refetch = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    let current = true;
    const load = async () => {
      try {
        const list = await getJson<JobRecord[]>(`/api/jobs?limit=${JOBS_LISTED}`);
        if (!current) return;
        setJobs(new Map(list.map((j) => [j.id, j])));
        setError(null);
      } catch (e) {
        if (current) setError((e as Error).message);
      } finally {
        if (current) setLoaded(true);
      }
    };
    void load();
    const off = live.on("job", (update: JobUpdate) => {
      setJobs((all) => {
        const old = all.get(update.id);
        if (!old) {
          clearTimeout(refetch.current);
          refetch.current = setTimeout(load, UNKNOWN_JOB_REFETCH_DELAY);
          return all;
        }
        const next = new Map(all);
        next.set(update.id, {
          ...old,
          status: update.status,
          progress: update.progress,
          progressMessage: update.message ?? old.progressMessage,
          attempts: Math.max(old.attempts, update.attempt),
          error: update.error ?? old.error,
          updatedAt: update.at,
          ...(update.status === "running" && old.startedAt === null
            ? { startedAt: update.at }
            : {}),
          ...(FINISHED.includes(update.status) ? { finishedAt: update.at } : {}),
        });
        return next;
      });
    });
    return () => {
      current = false;
      off();
      clearTimeout(refetch.current);
    };
  }, []);

  const all = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt);
  const running = all.filter((j) => j.status === "running");
  const pending = all.filter((j) => j.status === "pending");
  const finished = all.filter((j) => FINISHED.includes(j.status));

  return (
    <section aria-labelledby="jobs-title">
      <div class="section-head">
        <h1 id="jobs-title">Jobs</h1>
        <p class="muted small">
          {running.length} running · {pending.length} pending · {finished.length} finished
        </p>
      </div>
      {error ? (
        <p class="error-text" role="alert">
          Cannot load jobs: {error}
        </p>
      ) : null}
      {!loaded ? <p class="muted">Loading…</p> : null}
      <JobList title="Running" jobs={running} empty="Nothing running." />
      <JobList title="Pending" jobs={pending} empty="Nothing waiting." />
      <JobList
        title="Finished"
        jobs={finished.slice(0, FINISHED_SHOWN)}
        total={finished.length}
        empty="Nothing finished yet."
      />
    </section>
  );
}

function JobList({
  title,
  jobs,
  empty,
  total = jobs.length,
}: {
  title: string;
  jobs: JobRecord[];
  empty: string;
  total?: number;
}) {
  const id = `jobs-${title.toLowerCase()}`;
  return (
    <section class="card wide" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span class="count">{total}</span>
      </h2>
      {jobs.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <ul class="jobs" data-list={title.toLowerCase()}>
          {jobs.map((j) => (
            <JobItem key={j.id} job={j} />
          ))}
        </ul>
      )}
      {total > jobs.length ? <p class="muted small">The newest {jobs.length} are shown.</p> : null}
    </section>
  );
}

function JobItem({ job }: { job: JobRecord }) {
  const [open, setOpen] = useState(false);
  const [actions, setActions] = useState<JobAction[] | null>(null);
  const [busy, setBusy] = useState(false);
  const active = job.status === "running" || job.status === "pending";

  useEffect(() => {
    if (!open) return;
    let current = true;
    getJson<JobRecord>(`/api/jobs/${encodeURIComponent(job.id)}`).then(
      (full) => current && setActions(full.actions ?? []),
      (e: Error) => current && notify("error", `job ${job.id}: ${e.message}`),
    );
    return () => {
      current = false;
    };
  }, [open, job.id, job.status]);

  const cancel = async () => {
    setBusy(true);
    try {
      await post(`/api/jobs/${encodeURIComponent(job.id)}/cancel`, {
        reason: "cancelled from the dashboard",
      });
      notify("ok", `job ${job.type} ${job.id} cancelled`);
    } catch (e) {
      notify("error", `cancel job ${job.id} ${refusal(e)}`);
    } finally {
      setBusy(false);
    }
  };

  const took =
    job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null;
  return (
    <li class={`job job-${job.status}`} data-job={job.id} data-status={job.status}>
      <div class="job-head">
        <span class="job-type">{job.type}</span>
        <span class={`job-status status-${job.status}`}>{job.status}</span>
        <code class="job-id" title={job.id}>
          {job.id.slice(0, 8)}
        </code>
        <span class="muted small">
          {job.launchedBy ? (
            <>
              by <a href={daemonHref(job.launchedBy)}>{job.launchedBy}</a>
            </>
          ) : (
            "launched through the API"
          )}
          {job.reason ? ` · ${job.reason}` : ""} · attempt {job.attempts}/{job.maxAttempts} ·
          created <Ago at={job.createdAt} />
          {took !== null ? ` · took ${formatDuration(took)}` : ""}
        </span>
      </div>
      {job.status === "running" || (job.status !== "pending" && job.progress > 0) ? (
        <div class="progress-row">
          <ProgressBar
            progress={job.progress}
            message={job.progressMessage}
            label={`Progress of ${job.type} ${job.id.slice(0, 8)}`}
          />
        </div>
      ) : null}
      {job.status === "pending" && job.runAt > Date.now() ? (
        <p class="small muted">
          runs <Ago at={job.runAt} />
        </p>
      ) : null}
      {job.error ? <p class="error-text small">{job.error}</p> : null}
      {job.status === "completed" && job.result !== null && job.result !== undefined ? (
        <code class="block small">{show(job.result)}</code>
      ) : null}
      <div class="job-buttons">
        <button
          type="button"
          class="secondary"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? "Hide actions" : "Actions"}
        </button>
        {active ? (
          <button
            type="button"
            class="danger"
            disabled={busy || job.cancelRequested}
            onClick={cancel}
          >
            {job.cancelRequested ? "Cancelling…" : "Cancel"}
          </button>
        ) : null}
      </div>
      {open ? (
        actions === null ? (
          <p class="muted small">Loading actions…</p>
        ) : actions.length === 0 ? (
          <p class="muted small">No recorded actions.</p>
        ) : (
          <ol class="job-actions">
            {actions.map((a) => (
              <li key={a.id}>
                <span class={`job-action action-${a.action}`}>{a.action}</span> by{" "}
                {a.daemon === "api" ? "the API" : <a href={daemonHref(a.daemon)}>{a.daemon}</a>}
                {a.reason ? <> — {a.reason}</> : null} <Ago at={a.at} />
              </li>
            ))}
          </ol>
        )
      ) : null}
    </li>
  );
}
