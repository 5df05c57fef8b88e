/** A job's progress: the bar (an ARIA progressbar named `label`) and "40% epoch 4/10". */
export function ProgressBar({
  progress,
  message,
  label,
}: {
  progress: number;
  message?: string | null | undefined;
  label: string;
}) {
  const percent = Math.max(0, Math.min(100, Math.round(progress)));
  return (
    <>
      <div
        class="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div class="bar" style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-text">
        {percent}%{message ? ` ${message}` : ""}
      </span>
    </>
  );
}
