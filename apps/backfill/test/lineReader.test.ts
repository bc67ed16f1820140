import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readLineSpans, readLines } from "../src/lineReader.js";
import { scratchDir } from "./scratchDir.js";

const scratch = scratchDir();

async function lines(path: string): Promise<string[]> {
  const out: string[] = [];
  let numbersInOrder = true;
  await readLines(path, (line, n) => {
    numbersInOrder &&= n === out.length + 1;
    out.push(line);
  });
  expect(numbersInOrder).toBe(true);
  return out;
}

/** Every line of `path` and the byte count readLines reported for it. */
async function readAll(path: string): Promise<{ lines: string[]; bytes: number }> {
  const lines: string[] = [];
  let bytes = 0;
  await readLines(
    path,
    (line) => lines.push(line),
    (n) => {
      bytes += n;
    },
  );
  return { lines, bytes };
}
describe("readLines", () => {
  it("splits on LF and CRLF and drops a byte-order mark", async () => {
    const path = scratch.file("a.csv", "\ufeffone\r\ntwo\nthree");
    expect(await lines(path)).toEqual(["one", "two", "three"]);
  });

  it("does not report an empty line after the final newline", async () => {
    expect(await lines(scratch.file("b.csv", "one\ntwo\n"))).toEqual(["one", "two"]);
  });

  it("reassembles lines and multi-byte characters split across 1 MiB chunks", async () => {
    const expected = Array.from({ length: 60_000 }, (_, i) => `målepunkt-${i},ø€𝄞,${i * 7}`);
    const path = scratch.file("big.csv", expected.join("\r\n"));
    const got = await lines(path);
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  });

  it("reports the bytes it read", async () => {
    const path = scratch.file("c.csv", "æøå\n");
    let bytes = 0;
    await readLines(
      path,
      () => {},
      (n) => {
        bytes += n;
      },
    );
    expect(bytes).toBe(7);
  });

  it("hands out spans of chunks that slice to the same lines", async () => {
    const expected = Array.from({ length: 60_000 }, (_, i) => `målepunkt-${i},ø€𝄞,${i * 7}`);
    const path = scratch.file("spans.csv", `\ufeff${expected.join("\r\n")}\r`);
    const got: string[] = [];
    const chunks = new Set<string>();
    await readLineSpans(path, (text, start, end, n) => {
      expect(n).toBe(got.length + 1);
      got.push(text.slice(start, end));
      chunks.add(text);
    });
    expect(chunks.size).toBeGreaterThan(1);
    expect(got).toEqual(expected);
  });

  it("decodes a file that turns from ASCII to multi-byte characters after the first chunk", async () => {
    const expected = [
      ...Array.from({ length: 50_000 }, (_, i) => `plain-${i},${i * 7}`),
      ...Array.from({ length: 50_000 }, (_, i) => `målepunkt-${i},ø€𝄞,${i * 7}`),
    ];
    const path = scratch.file("mixed.csv", expected.join("\n"));
    const { lines: got, bytes } = await readAll(path);
    expect(got).toEqual(expected);
    expect(bytes).toBe(Buffer.byteLength(expected.join("\n")));
  });

  it("refuses an unfinished multi-byte character at the end (a cut file) as not UTF-8, with its line", async () => {
    const path = scratch.file("cut.csv", "");
    writeFileSync(path, Buffer.from([0x61, 0x62, 0x0a, 0xe2, 0x82]));
    await expect(readAll(path)).rejects.toThrow(`${path}:2: not UTF-8`);
  });
});
