/** Sizes: parsing `"512MB"` / `"1.5GB"` / `"64kB"` into bytes (DESIGN.md §2 `maxMemory`). */

export const KB = 1024;
export const MB = 1024 * KB;
export const GB = 1024 * MB;

const UNITS: Record<string, number> = {
  b: 1,
  ...{ k: KB, kb: KB, kib: KB },
  ...{ m: MB, mb: MB, mib: MB },
  ...{ g: GB, gb: GB, gib: GB },
};
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)\s*$/i;

/** A size: a number of bytes, or a string with a unit (`"512MB"`, binary: 1 MB = 1024 KB). */
export type Size = number | string;

/**
 * Parses a {@link Size} into bytes: numbers are bytes, strings carry a unit (B, KB, MB, GB,
 * KiB, MiB, GiB too; case-insensitive, powers of 1024). Throws a `TypeError` that names `what` on bad input.
 */
export function parseSize(value: Size, what: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return Math.floor(value);
  if (typeof value === "string") {
    const match = PATTERN.exec(value);
    const unit = UNITS[(match?.[2] || "b").toLowerCase()];
    if (match && unit) {
      const bytes = Math.floor(Number(match[1]) * unit);
      if (bytes > 0) return bytes;
    }
  }
  throw new TypeError(
    `${what}: expected a size such as "512MB", "2GB" or a number of bytes, found ${JSON.stringify(value)}`,
  );
}

/** Formats bytes for people: `512 MB`, `1.5 GB`. */
export function formatSize(bytes: number): string {
  if (bytes >= GB) return `${(bytes / GB).toFixed(1)} GB`;
  if (bytes >= MB) return `${Math.round(bytes / MB)} MB`;
  return `${Math.round(bytes / KB)} KB`;
}
