/** Turns anything thrown into an `Error`, keeping the original as `cause` when it was not one. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`non-error thrown: ${text}`, { cause: thrown });
}

/** A short one-line description of an error for status views: `Name: message`. */
export function describeError(error: Error): string {
  const name = error.name && error.name !== "Error" ? `${error.name}: ` : "";
  return `${name}${error.message}`.split("\n")[0] ?? "";
}

/**
 * `error`, made safe to keep for long: V8 captures a stack as frames, each holding its function
 * (and so everything that closure holds: a failed write's rows), and formats them into a string
 * only when `stack` is first read. Reading it, and its causes', lets the frames go.
 */
export function withFormattedStack(error: Error): Error {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    void current.stack;
    current = current.cause;
  }
  return error;
}
