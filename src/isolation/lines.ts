/**
 * Splits a byte stream into text lines, however the chunks fall.
 *
 * Contract: `push(chunk)` may be called with any piece of the stream; `onLine` is called once per
 * complete line, in order, without its terminator (`\n` or `\r\n`). A line longer than
 * `maxLength` characters is delivered in pieces of `maxLength` (each flagged `truncated: true`
 * except the last piece), so one runaway line never holds unbounded memory. `end()` delivers a
 * last line that had no terminator. Multi-byte UTF-8 characters split across chunks are kept whole.
 */
export interface LineSplitter {
  push(chunk: Buffer | string): void;
  end(): void;
}

export type OnLine = (line: string, truncated: boolean) => void;

export function createLineSplitter(onLine: OnLine, maxLength: number): LineSplitter {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let ended = false;

  const emit = (line: string) => {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    onLine(text, false);
  };

  const take = (text: string) => {
    pending += text;
    let start = 0;
    for (;;) {
      const newline = pending.indexOf("\n", start);
      if (newline === -1) break;
      emitBounded(pending.slice(start, newline));
      start = newline + 1;
    }
    pending = pending.slice(start);
    // No terminator yet: hand out full pieces, keep the rest (and a trailing \r, which may be
    // the first half of a \r\n).
    while (pending.length > maxLength) {
      onLine(pending.slice(0, maxLength), true);
      pending = pending.slice(maxLength);
    }
  };

  const emitBounded = (line: string) => {
    let rest = line;
    while (rest.length > maxLength && !(rest.length === maxLength + 1 && rest.endsWith("\r"))) {
      onLine(rest.slice(0, maxLength), true);
      rest = rest.slice(maxLength);
    }
    emit(rest);
  };

  return {
    push(chunk) {
      if (ended) return;
      take(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      if (ended) return;
      take(decoder.decode());
      ended = true;
      if (pending.length > 0) emit(pending);
      pending = "";
    },
  };
}
