import { closeSync, openSync, readSync, writeSync } from "node:fs";

// The benchmark's input: one irregular series, deterministic on every machine. Spacing is
// exponential with a 3 s mean (1 ms minimum), so windows hold ~1200 points of varying count; ten
// 2-hour outages exercise the maxGap rule (segments longer than 1 h are not covered).

export const HOUR_MS = 3_600_000;
export const MAX_GAP_MS = HOUR_MS;
export const FIRST_TIMESTAMP = Date.UTC(2024, 0, 1);

export interface BenchSeries {
  timestamps: Float64Array;
  values: Float64Array;
  /** All Good (0): a CDF read delivers a status per point, so kpi-core's input has this column. */
  statuses: Uint32Array;
}

/** mulberry32, a small seeded PRNG: the same numbers everywhere, unlike Math.random. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateSeries(count: number, seed = 42): BenchSeries {
  const random = mulberry32(seed);
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  const outageEvery = Math.max(1, Math.floor(count / 10));
  let t = FIRST_TIMESTAMP;
  let level = 100;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      t += 1 + Math.floor(-Math.log(1 - random()) * 2999);
      if (i % outageEvery === 0) t += 2 * HOUR_MS;
    }
    level += (random() - 0.5) * 2;
    timestamps[i] = t;
    values[i] = level + 20 * Math.sin((2 * Math.PI * (t - FIRST_TIMESTAMP)) / (24 * HOUR_MS));
  }
  return { timestamps, values, statuses: new Uint32Array(count) };
}

/**
 * Little-endian: all timestamps and then all values as float64 (numpy reads these with
 * np.fromfile), then all statuses as uint32 (only kpi-core reads them).
 */
export function writeSeries(path: string, series: BenchSeries): void {
  const fd = openSync(path, "w");
  try {
    writeSync(
      fd,
      new Uint8Array(series.timestamps.buffer, series.timestamps.byteOffset, series.timestamps.byteLength),
    );
    writeSync(fd, new Uint8Array(series.values.buffer, series.values.byteOffset, series.values.byteLength));
    writeSync(
      fd,
      new Uint8Array(series.statuses.buffer, series.statuses.byteOffset, series.statuses.byteLength),
    );
  } finally {
    closeSync(fd);
  }
}

export function readSeries(path: string, count: number): BenchSeries {
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  const statuses = new Uint32Array(count);
  const fd = openSync(path, "r");
  try {
    readFully(fd, new Uint8Array(timestamps.buffer), 0);
    readFully(fd, new Uint8Array(values.buffer), timestamps.byteLength);
    readFully(fd, new Uint8Array(statuses.buffer), timestamps.byteLength + values.byteLength);
  } finally {
    closeSync(fd);
  }
  return { timestamps, values, statuses };
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.byteLength) {
    const n = readSync(fd, target, done, target.byteLength - done, position + done);
    if (n === 0) throw new Error(`benchmark data file ended early at byte ${position + done}`);
    done += n;
  }
}
