/**
 * A typed emitter whose `emit` never throws into the emitter: a listener that throws (or
 * rejects) is reported to `onListenerError` and the others still run.
 */
export class SafeEmitter<Map extends Record<string, unknown>> {
  private listeners = new Map<keyof Map, Set<(payload: never) => unknown>>();
  /** Listeners per event, as plain properties: read on hot paths (every cycle of a daemon). */
  readonly listening: Partial<Record<keyof Map, number>> = {};

  constructor(private onListenerError: (event: string, error: unknown) => void = () => {}) {}

  on<K extends keyof Map>(event: K, listener: (payload: Map[K]) => unknown): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => unknown);
    this.listening[event] = set.size;
    return () => this.off(event, listener);
  }

  once<K extends keyof Map>(event: K, listener: (payload: Map[K]) => unknown): () => void {
    const off = this.on(event, (payload) => {
      off();
      return listener(payload);
    });
    return off;
  }

  off<K extends keyof Map>(event: K, listener: (payload: Map[K]) => unknown): void {
    const set = this.listeners.get(event);
    if (!set) return;
    set.delete(listener as (payload: never) => unknown);
    this.listening[event] = set.size;
  }

  emit<K extends keyof Map>(event: K, payload: Map[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        const result = (listener as (p: Map[K]) => unknown)(payload);
        if (result && typeof (result as Promise<unknown>).then === "function") {
          (result as Promise<unknown>).then(undefined, (error) =>
            this.onListenerError(String(event), error),
          );
        }
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }

  listenerCount(event: keyof Map): number {
    return this.listening[event] ?? 0;
  }
}
