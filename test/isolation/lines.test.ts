import { describe, expect, it } from "vitest";
import { createLineSplitter } from "../../src/isolation/lines.js";

function split(chunks: Array<string | Buffer>, maxLength = 100) {
  const lines: Array<[string, boolean]> = [];
  const splitter = createLineSplitter(
    (line, truncated) => lines.push([line, truncated]),
    maxLength,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe("createLineSplitter", () => {
  it("joins lines split across chunks and splits chunks holding several lines", () => {
    expect(split(["hel", "lo\nwor", "ld\nthree\nfo", "ur\n"])).toEqual([
      ["hello", false],
      ["world", false],
      ["three", false],
      ["four", false],
    ]);
  });

  it("drops CR of CRLF, also when CR and LF arrive in different chunks", () => {
    expect(split(["a\r\nb\r", "\nc\n"]).map(([line]) => line)).toEqual(["a", "b", "c"]);
  });

  it("delivers a last line without a terminator at end, and keeps empty lines", () => {
    expect(split(["x\n\ny"]).map(([line]) => line)).toEqual(["x", "", "y"]);
  });

  it("cuts a line longer than the maximum into pieces, flagging all but the last", () => {
    expect(split(["abcdefg", "hij\nk\n"], 4)).toEqual([
      ["abcd", true],
      ["efgh", true],
      ["ij", false],
      ["k", false],
    ]);
  });

  it("keeps a multi-byte character whole when its bytes are split across chunks", () => {
    const bytes = Buffer.from("grüße\n", "utf8");
    expect(split([bytes.subarray(0, 3), bytes.subarray(3)])).toEqual([["grüße", false]]);
  });
});
