/**
 * JSON as stored: never throws. BigInts become strings, cycles and other unserializable values
 * become a note, so one bad log field cannot block a batch of rows.
 */
export function toJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value === undefined ? null : value, (_key, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ) ?? "null"
    );
  } catch (error) {
    return JSON.stringify({ unserializable: String(error) });
  }
}

export function fromJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
