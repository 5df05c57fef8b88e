import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { ProgressBar } from "../components/ProgressBar";
import { live } from "../live";
import type { JobRecord, JobUpdate } from "../types";

/** Running jobs shown on the first page, at most. */
const SHOWN = 4;

interface Running {
  id: string;
  type: string;
  progress: number;
  message: string | null;
}

/**
 * The jobs running now, with their progress as it moves (the stream's `job` entries), so the first
 * page shows work in flight; the Jobs page has the rest.
 */
export function RunningJobs() {
  const [jobs, setJobs] = useState<Map<string, Running>>(new Map());
  useEffect(() => {
    let current = true;
    getJson<JobRecord[]>(`/api/jobs?status=running&limit=${SHOWN}`).then(
      (list) => {
        if (!current) return;
        setJobs((known) => {
          const next = new Map(known);
          for (const j of list)
            next.set(j.id, {
              id: j.id,
              type: j.type,
              progress: j.progress,
              message: j.progressMessage,
            });
          return next;
        });
      },
      () => {},
    );
    const off = live.on("job", (u: JobUpdate) =>
      setJobs((known) => {
        const next = new Map(known);
        if (u.status === "running")
          next.set(u.id, {
            id: u.id,
            type: u.type,
            progress: u.progress,
            message: u.message ?? known.get(u.id)?.message ?? null,
          });
        else next.delete(u.id);
        return next;
      }),
    );
    return () => {
      current = false;
      off();
    };
  }, []);
  const shown = [...jobs.values()].slice(-SHOWN);
  return (
    <section class="running-jobs" aria-label="Jobs running now">
      <a href="#/jobs" class="running-jobs-title">
        Jobs running: <strong>{jobs.size}</strong>
      </a>
      {shown.map((j) => (
        <div key={j.id} class="running-job" data-job={j.id}>
          <span class="running-job-type">{j.type}</span>
          <ProgressBar progress={j.progress} message={j.message} label={`${j.type} progress`} />
        </div>
      ))}
    </section>
  );
}
