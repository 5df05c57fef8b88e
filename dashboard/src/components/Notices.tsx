import { useEffect, useState } from "preact/hooks";
import { dismiss, type Notice, onNotices } from "../notices";

/** What the operator's actions did; refusals stay until dismissed. */
export function Notices() {
  const [all, setAll] = useState<Notice[]>([]);
  useEffect(() => onNotices(setAll), []);
  return (
    <div class="notices" aria-live="polite">
      {all.map((n) => (
        <div
          key={n.id}
          class={`notice notice-${n.kind}`}
          role={n.kind === "error" ? "alert" : "status"}
        >
          <span>{n.text}</span>
          <button type="button" class="link" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
