/** Event ids: the random per-bus prefix and the fast `${prefix}${seq}` generator. */
import { randomBytes } from "node:crypto";

const DIGITS: string[] = [];
const PADDED: string[] = [];
for (let i = 0; i < 10_000; i++) {
  DIGITS.push(String(i));
  PADDED.push(String(i).padStart(4, "0"));
}

/** A random per-bus prefix such as `"k3f9q2xa-"`: ids stay unique across buses and processes. */
export function randomIdPrefix(): string {
  return `${randomBytes(6).toString("base64url")}-`;
}

/**
 * Event ids `${prefix}${seq}`, built without converting the whole number on every call: the last
 * four digits come from a table and the rest is rendered once per 10,000 ids. Converting a number
 * to a string costs about as much as the rest of a publish, hence the table.
 */
export function createEventIds(prefix: string): (seq: number) => string {
  let high = -1;
  let head = "";
  return (seq) => {
    if (seq < 10_000) return prefix + DIGITS[seq];
    const low = seq % 10_000;
    if (seq - low !== high) {
      high = seq - low;
      head = prefix + String(high / 10_000);
    }
    return head + PADDED[low];
  };
}
