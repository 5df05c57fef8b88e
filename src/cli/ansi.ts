/** ANSI escape codes, written directly (no colour library). */

const ESC = "\x1b[";

export const ansi = {
  altScreenOn: `${ESC}?1049h`,
  altScreenOff: `${ESC}?1049l`,
  hideCursor: `${ESC}?25l`,
  showCursor: `${ESC}?25h`,
  home: `${ESC}H`,
  clearLine: `${ESC}K`,
  clearDown: `${ESC}J`,
};

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type Colour = keyof typeof CODES;
export type Painter = Record<Colour, (text: string) => string>;

/** Colour functions; with `enabled` false each returns its text unchanged. */
export function painter(enabled: boolean): Painter {
  const out = {} as Painter;
  for (const [name, [open, close]] of Object.entries(CODES) as [
    Colour,
    readonly [number, number],
  ][]) {
    out[name] = enabled ? (text) => `${ESC}${open}m${text}${ESC}${close}m` : (text) => text;
  }
  return out;
}

/** Colours for a stream: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces them. */
export function colourEnabled(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences
const ANSI_PATTERN = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The text without escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

/** Visible width of `text` (escape sequences take none). */
export function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

/** Pads `text` with spaces to `width` visible characters. */
export function pad(text: string, width: number): string {
  const gap = width - visibleLength(text);
  return gap > 0 ? text + " ".repeat(gap) : text;
}

/** Cuts `text` to `width` visible characters, keeping escape sequences (and resetting at the cut). */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let visible = 0;
  let i = 0;
  while (i < text.length && visible < Math.max(0, width - 1)) {
    if (text[i] === "\x1b") {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences
      const match = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(text.slice(i));
      if (match) {
        out += match[0];
        i += match[0].length;
        continue;
      }
    }
    out += text[i];
    visible++;
    i++;
  }
  return `${out}…${ESC}0m`;
}
