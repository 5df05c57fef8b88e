import { InvalidArgumentError } from "commander";
import { sinceAt } from "../registry/duration.js";

/** A commander parser for a whole number from 1 to `max`. */
export function positiveInt(max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

/**
 * A commander parser for `--since`: a duration ago (`10m`, `2h`), an ISO date or epoch
 * milliseconds. Keeps the text (the manager parses it with its own clock) after checking it.
 */
export function sinceOption(text: string): string {
  if (sinceAt(text, Date.now()) === undefined)
    throw new InvalidArgumentError(
      'expected a duration ago such as "10m", an ISO date or epoch milliseconds',
    );
  return text;
}

/** `--since` as epoch milliseconds, for reading the store. */
export function sinceMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : sinceAt(text, Date.now());
}
