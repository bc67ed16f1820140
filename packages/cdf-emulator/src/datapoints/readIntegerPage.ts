// The fastest path for a raw page: only Good points whose values are all integers (counters,
// states, the benchmark's data). Timestamps and values are then written as ASCII digits straight
// into one buffer: measured 3x faster than JSON.stringify on 100k points (25 ms vs 77 ms). Pages
// with fractional values go through JSON.stringify instead, which converts doubles faster than
// String(x) per value (README.md, section "Performance").

import type { Columns } from "./columns.js";
import type { RawPage, RawQuery } from "./readRawPage.js";
import type { SeriesPoints } from "./seriesPoints.js";

const OPEN = Uint8Array.from(Buffer.from('{"timestamp":', "latin1"));
const MIDDLE = Uint8Array.from(Buffer.from(',"value":', "latin1"));
/** Bytes per point at most: both prefixes, two 17-digit numbers with sign, braces, comma. */
const MAX_POINT_BYTES = OPEN.length + MIDDLE.length + 2 * 18 + 2;
const digits = new Uint8Array(20);

interface Run {
  chunk: Columns;
  from: number;
  to: number;
}

/** The page as JSON, or undefined when it has a non-Good point or a fractional value. */
export function readIntegerPage(series: SeriesPoints, q: RawQuery): RawPage | undefined {
  if (q.includeOutsidePoints) return undefined;
  const chunks = series.chunks;
  const pos = series.seek(q.start);
  const runs: Run[] = [];
  let count = 0;
  let next: number | undefined;
  for (let c = pos.chunk; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    if (chunk.status || chunk.noValue || !chunk.num) return undefined;
    const from = c === pos.chunk ? pos.index : 0;
    if (from >= chunk.length) continue;
    if (chunk.ts[from]! >= q.end) break;
    let to = from;
    const ts = chunk.ts;
    const num = chunk.num;
    const room = q.limit - count;
    const stop = Math.min(chunk.length, from + room);
    for (; to < stop && ts[to]! < q.end; to++) {
      const v = num[to]!;
      if (!Number.isSafeInteger(v)) return undefined;
    }
    if (to > from) runs.push({ chunk, from, to });
    count += to - from;
    if (to < chunk.length) {
      if (count === q.limit && ts[to]! < q.end) next = ts[to]!;
      break;
    }
    if (count === q.limit) {
      // The next point may be the first of the next chunk.
      const following = chunks[c + 1];
      if (following && following.ts[0]! < q.end) next = following.ts[0]!;
      break;
    }
  }
  if (count === 0) return { json: "", count, next };
  const buf = Buffer.allocUnsafe(count * MAX_POINT_BYTES);
  let p = 0;
  for (const { chunk, from, to } of runs) {
    const ts = chunk.ts;
    const num = chunk.num!;
    for (let i = from; i < to; i++) {
      if (p > 0) buf[p++] = 44; // ,
      // Byte loops: Buffer#copy's call overhead dominates for 9-13 bytes.
      for (let k = 0; k < OPEN.length; k++) buf[p++] = OPEN[k]!;
      p = writeInteger(buf, p, ts[i]!);
      for (let k = 0; k < MIDDLE.length; k++) buf[p++] = MIDDLE[k]!;
      p = writeInteger(buf, p, num[i]!);
      buf[p++] = 125; // }
    }
  }
  return { json: buf.subarray(0, p), count, next };
}

function writeInteger(buf: Buffer, at: number, value: number): number {
  let p = at;
  let x = value;
  if (x < 0) {
    buf[p++] = 45; // -
    x = -x;
  }
  if (x < 10) {
    buf[p++] = 48 + x;
    return p;
  }
  let n = 0;
  while (x > 0) {
    const q = Math.floor(x / 10);
    digits[n++] = x - q * 10;
    x = q;
  }
  while (n > 0) buf[p++] = 48 + digits[--n]!;
  return p;
}
