/** Short messages about what the operator's actions did; errors stay until dismissed. */
export interface Notice {
  id: number;
  kind: "ok" | "error";
  text: string;
}

let notices: Notice[] = [];
let nextId = 1;
const listeners = new Set<(all: Notice[]) => void>();

function emit(): void {
  for (const listener of listeners) listener(notices);
}

export function notify(kind: Notice["kind"], text: string): void {
  const notice = { id: nextId++, kind, text };
  notices = [...notices.slice(-4), notice];
  emit();
  if (kind === "ok") setTimeout(() => dismiss(notice.id), 4_000);
}

export function dismiss(id: number): void {
  notices = notices.filter((n) => n.id !== id);
  emit();
}

export function onNotices(listener: (all: Notice[]) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
