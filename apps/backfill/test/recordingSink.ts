import type { PointSink } from "../src/pointSink.js";

export interface RecordedPoint {
  key: string;
  timestamp: number;
  value: number;
  status: number;
}

/** A PointSink that keeps every appended row; `wanted` limits which series it asks for. */
export function recordingSink(wanted?: readonly string[]): PointSink & { points: RecordedPoint[] } {
  const points: RecordedPoint[] = [];
  return {
    points,
    wants: (key) => wanted === undefined || wanted.includes(key),
    append(key, timestamp, value, status) {
      points.push({ key, timestamp, value, status });
    },
  };
}
