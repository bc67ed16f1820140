// Drives an AggregateBuilder over one series' stored points in [start, end): binary search to the
// start, one forward pass, plus the neighbours just outside that the edge segments need.

import {
  AggregateBuilder,
  type AggregateDatapoint,
  type AggregateOptions,
  type AggregatePoint,
} from "./aggregateBuilder.js";
import type { Columns } from "./columns.js";
import type { PointPosition, SeriesPoints } from "./seriesPoints.js";

export interface AggregateResult {
  datapoints: AggregateDatapoint[];
  /** Start of the next interval with data, when the limit cut the result short. */
  nextStart: number | undefined;
}

function pointAt(c: Columns, i: number): AggregatePoint {
  return {
    t: c.ts[i]!,
    v: c.noValue?.[i] ? Number.NaN : c.num![i]!,
    code: c.status ? c.status[i]! : 0,
  };
}

export function readAggregates(
  series: SeriesPoints,
  start: number,
  end: number,
  options: AggregateOptions,
): AggregateResult {
  const builder = new AggregateBuilder(options);
  const chunks = series.chunks;
  // The previous stored point, and the previous one that is not ignored (may lie further back).
  const before = series.seekBefore(start);
  let prevKept: AggregatePoint | undefined;
  if (before) {
    for (let c = before.chunk, i = before.index; c >= 0 && prevKept === undefined; c--) {
      const chunk = chunks[c]!;
      if (i < 0) i = chunk.length - 1;
      for (; i >= 0; i--) {
        const code = chunk.status ? chunk.status[i]! : 0;
        if (builder.isKept(code)) {
          prevKept = pointAt(chunk, i);
          break;
        }
      }
    }
  }
  builder.setPrevious(before ? pointAt(chunks[before.chunk]!, before.index) : undefined, prevKept);

  let pos: PointPosition = series.seek(start);
  let stopped = false;
  outer: for (; pos.chunk < chunks.length; pos = { chunk: pos.chunk + 1, index: 0 }) {
    const chunk = chunks[pos.chunk]!;
    for (let i = pos.index; i < chunk.length; i++) {
      if (chunk.ts[i]! >= end) {
        pos = { chunk: pos.chunk, index: i };
        break outer;
      }
      if (!builder.push(pointAt(chunk, i))) {
        stopped = true;
        break outer;
      }
    }
  }
  if (!stopped) {
    let nextStored: AggregatePoint | undefined;
    let nextKept: AggregatePoint | undefined;
    for (let c = pos.chunk, i = pos.index; c < chunks.length && nextKept === undefined; c++, i = 0) {
      const chunk = chunks[c]!;
      for (; i < chunk.length; i++) {
        const p = pointAt(chunk, i);
        nextStored ??= p;
        if (builder.isKept(p.code)) {
          nextKept = p;
          break;
        }
      }
    }
    builder.finish(nextStored, nextKept);
  } else {
    builder.finish(undefined, undefined);
  }
  return { datapoints: builder.datapoints, nextStart: builder.nextStart };
}
