// One raw page of /timeseries/data/list, serialized straight from the columns: the JSON text of
// 100k points is built by concatenation instead of JSON.stringify over 100k objects, since this
// is the emulator's hot path (see docs/datapoints.md, Performance).

import type { Columns } from "./columns.js";
import type { PointPosition, SeriesPoints } from "./seriesPoints.js";
import { STATUS_GOOD, statusCategory, statusJson } from "./statusCode.js";

export interface RawQuery {
  start: number;
  end: number;
  limit: number;
  includeOutsidePoints: boolean;
  includeStatus: boolean;
  ignoreBad: boolean;
  uncertainIsBad: boolean;
}

export interface RawPage {
  /** The datapoints array's contents, without brackets. */
  json: string;
  count: number;
  /** Timestamp of the next point in range when the limit cut the page short. */
  next: number | undefined;
}

type StatusFilter = Pick<RawQuery, "ignoreBad" | "uncertainIsBad">;

function skipper(q: StatusFilter): (code: number) => boolean {
  return (code) => {
    if (!q.ignoreBad || code === STATUS_GOOD) return false;
    const c = statusCategory(code);
    return c === "bad" || (c === "uncertain" && q.uncertainIsBad);
  };
}

/** JSON of the last point with ts < t that the status filter keeps (for /timeseries/data/latest), or "". */
export function readPointBefore(
  series: SeriesPoints | undefined,
  t: number,
  q: StatusFilter & { includeStatus: boolean },
): string {
  if (!series) return "";
  const before = series.seekBefore(t);
  const p = before && findKept(series.chunks, before, -1, skipper(q));
  return p ? pointJson(series.chunks[p.chunk]!, p.index, q.includeStatus) : "";
}

export function readRawPage(series: SeriesPoints | undefined, q: RawQuery): RawPage {
  if (!series || series.count === 0) return { json: "", count: 0, next: undefined };
  const chunks = series.chunks;
  const skip = skipper(q);
  const parts: string[] = [];
  let count = 0;
  let next: number | undefined;

  if (q.includeOutsidePoints) {
    const before = series.seekBefore(q.start);
    const p = before && findKept(chunks, before, -1, skip);
    if (p) parts.push(pointJson(chunks[p.chunk]!, p.index, q.includeStatus));
  }

  const pos: PointPosition = series.seek(q.start);
  scan: for (let c = pos.chunk; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    const ts = chunk.ts;
    const status = chunk.status;
    const i0 = c === pos.chunk ? pos.index : 0;
    // Fast path: a chunk with only Good points and values, copied with the loop the JIT likes best.
    if (!status && !chunk.noValue && chunk.num) {
      const num = chunk.num;
      let i = i0;
      let s = "";
      const n = chunk.length;
      for (; i < n; i++) {
        const t = ts[i]!;
        if (t >= q.end) break;
        if (count === q.limit) {
          next = t;
          break;
        }
        s +=
          (count === 0 && parts.length === 0 ? '{"timestamp":' : ',{"timestamp":') +
          t +
          ',"value":' +
          num[i]! +
          "}";
        count++;
      }
      if (s) parts.push(parts.length === 0 ? s : s.slice(1));
      if (i < n) break;
      continue;
    }
    for (let i = i0; i < chunk.length; i++) {
      const t = ts[i]!;
      if (t >= q.end) break scan;
      if (status && skip(status[i]!)) continue;
      if (count === q.limit) {
        next = t;
        break scan;
      }
      parts.push(pointJson(chunk, i, q.includeStatus));
      count++;
    }
  }

  if (q.includeOutsidePoints) {
    // The first point at or after `end`, even when the limit cut the range short (CDF: up to limit + 2).
    const after = series.seek(q.end);
    const p = findKept(chunks, after, 1, skip);
    if (p) parts.push(pointJson(chunks[p.chunk]!, p.index, q.includeStatus));
  }
  return { json: parts.join(","), count, next };
}

function findKept(
  chunks: Columns[],
  from: PointPosition,
  step: 1 | -1,
  skip: (code: number) => boolean,
): PointPosition | undefined {
  let c = from.chunk;
  let i = from.index;
  while (c >= 0 && c < chunks.length) {
    const chunk = chunks[c]!;
    for (; i >= 0 && i < chunk.length; i += step) {
      if (!chunk.status || !skip(chunk.status[i]!)) return { chunk: c, index: i };
    }
    c += step;
    i = step === 1 ? 0 : (chunks[c]?.length ?? 0) - 1;
  }
  return undefined;
}

function pointJson(chunk: Columns, i: number, includeStatus: boolean): string {
  let s = '{"timestamp":' + chunk.ts[i]!;
  if (chunk.str) {
    const v = chunk.str[i];
    if (v !== null && v !== undefined) s += ',"value":' + JSON.stringify(v);
  } else if (!chunk.noValue?.[i]) {
    const v = chunk.num![i]!;
    // Bad points may hold NaN/Infinity, which JSON has no literal for: CDF sends them as strings.
    s += ',"value":' + (Number.isFinite(v) ? v : '"' + v + '"');
  }
  const code = chunk.status ? chunk.status[i]! : STATUS_GOOD;
  if (includeStatus && code !== STATUS_GOOD) s += ',"status":' + statusJson(code);
  return s + "}";
}
