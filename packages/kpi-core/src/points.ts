import { type PointColumns, STATUS_BAD, STATUS_UNCERTAIN } from "./model.js";

export type StatusClass = "Good" | "Uncertain" | "Bad";

/**
 * The class of a CDF status code. CDF follows OPC UA: the top two bits of the 32-bit code
 * are the severity (00 Good, 01 Uncertain, 1x Bad), so Good is every code below 0x40000000.
 */
export function statusClass(code: number): StatusClass {
  if (code >= STATUS_BAD) return "Bad";
  if (code >= STATUS_UNCERTAIN) return "Uncertain";
  return "Good";
}

const TWO_POW_32 = 4294967296;
// Radix digits of 12 bits: 4 passes cover 48 bits of milliseconds (~8900 years of range).
const RADIX_BITS = 12;
const RADIX_SIZE = 1 << RADIX_BITS;
const RADIX_MAX_KEY = 2 ** 48;

/**
 * Collects points in arrival order into growable typed arrays, then sorts them by timestamp
 * with duplicates resolved as CDF does: the last written point at a timestamp wins.
 */
export class PointColumnsBuilder {
  private timestamps: Float64Array;
  private values: Float64Array;
  private statuses: Uint32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, Math.floor(initialCapacity));
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.statuses = new Uint32Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** `value` NaN means the point has no value; `status` is a CDF status code (0 = Good). */
  append(timestamp: number, value: number, status = 0): void {
    if (this.count === this.timestamps.length) this.grow();
    const i = this.count++;
    this.timestamps[i] = timestamp;
    this.values[i] = value;
    this.statuses[i] = status;
  }

  /**
   * Appends whole columns at once (a page as the CDF reader delivers it): one bulk copy per
   * column instead of a call per point. `statuses` absent means every point is Good.
   */
  appendColumns(columns: PointArrays): void {
    const n = checkedLength(columns, "PointColumnsBuilder.appendColumns");
    const end = this.count + n;
    if (end > this.timestamps.length) this.grow(end);
    this.timestamps.set(columns.timestamps.subarray(0, n), this.count);
    this.values.set(columns.values.subarray(0, n), this.count);
    if (columns.statuses === undefined) this.statuses.fill(0, this.count, end);
    else this.statuses.set(columns.statuses.subarray(0, n), this.count);
    this.count = end;
  }

  build(): PointColumns {
    const n = this.count;
    const ts = this.timestamps;
    const order = timestampOrder(ts, n);
    if (order === "increasing") {
      // Views, not copies (10M points = 160 MB): later appends only write past n or into
      // grown arrays, so the built columns never change under the caller.
      return {
        length: n,
        timestamps: ts.subarray(0, n),
        values: this.values.subarray(0, n),
        statuses: this.statuses.subarray(0, n),
      };
    }
    if (order === "sorted") return this.gatherKeepingLast(undefined, ts.subarray(0, n), false);
    const sorted = stableOrderByTimestamp(ts, n);
    return this.gatherKeepingLast(sorted.order, sorted.timestamps, true);
  }

  private grow(atLeast = this.count + 1): void {
    let capacity = this.timestamps.length * 2;
    while (capacity < atLeast) capacity *= 2;
    const timestamps = new Float64Array(capacity);
    timestamps.set(this.timestamps);
    const values = new Float64Array(capacity);
    values.set(this.values);
    const statuses = new Uint32Array(capacity);
    statuses.set(this.statuses);
    this.timestamps = timestamps;
    this.values = values;
    this.statuses = statuses;
  }

  /**
   * `order` lists append indices sorted by timestamp, ties in append order (undefined: already in
   * that order); `sorted` holds the timestamps in that order, so finding duplicates reads it front
   * to back instead of jumping through `order` (random reads were most of the time at 1M points).
   * `sortedIsOwn`: `sorted` is a fresh array that can become the result as it is.
   */
  private gatherKeepingLast(
    order: Uint32Array | undefined,
    sorted: Float64Array,
    sortedIsOwn: boolean,
  ): PointColumns {
    const n = this.count;
    let unique = 0;
    for (let k = 0; k < n; k++) {
      if (k + 1 === n || sorted[k + 1] !== sorted[k]) unique++;
    }
    const timestamps = unique === n && sortedIsOwn ? sorted : new Float64Array(unique);
    const values = new Float64Array(unique);
    const statuses = new Uint32Array(unique);
    const fromValues = this.values;
    const fromStatuses = this.statuses;
    let out = 0;
    for (let k = 0; k < n; k++) {
      const t = sorted[k]!;
      if (k + 1 < n && sorted[k + 1] === t) continue;
      const i = order === undefined ? k : order[k]!;
      timestamps[out] = t;
      values[out] = fromValues[i]!;
      statuses[out] = fromStatuses[i]!;
      out++;
    }
    return { length: unique, timestamps, values, statuses };
  }
}

/**
 * How the first n timestamps are ordered, in one pass: "increasing" (strictly, so the columns can
 * be used as they are), "sorted" (duplicates to resolve), or "unsorted". A NaN difference does not
 * count against "increasing", as it never has: both construction paths share this one check, so
 * they agree on every input.
 */
function timestampOrder(ts: Float64Array, n: number): "increasing" | "sorted" | "unsorted" {
  let order: "increasing" | "sorted" = "increasing";
  for (let i = 1; i < n; i++) {
    const d = ts[i]! - ts[i - 1]!;
    if (d <= 0) {
      if (d < 0) return "unsorted";
      order = "sorted";
    }
  }
  return order;
}

function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/**
 * Append indices sorted by timestamp, stable, with the timestamps in that order. Integer
 * millisecond timestamps (what CDF stores) go through an LSD radix sort, O(n) and stable by
 * construction; anything else falls back to a comparison sort that breaks ties by append index.
 * 12-bit digits keep the 4096 scatter targets of a pass cache-resident (16-bit digits were 3x
 * slower at 1M points), and the key travels with the index so every pass reads sequentially and
 * the sorted timestamps come out of the key (min + key is exact: both are integers below 2^53).
 */
function stableOrderByTimestamp(
  ts: Float64Array,
  n: number,
): { order: Uint32Array; timestamps: Float64Array } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let integral = true;
  let negativeZero = false;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (t < min) min = t;
    if (t > max) max = t;
    if (!Number.isInteger(t)) integral = false;
    // min + key would give +0 back for a -0; such input keeps its own timestamps (gathered).
    else if (t === 0 && 1 / t < 0) negativeZero = true;
  }
  const range = max - min;
  if (!integral || !(range < RADIX_MAX_KEY)) {
    const order = identityOrder(n).sort((a, b) => ts[a]! - ts[b]! || a - b);
    return { order, timestamps: gathered(ts, order) };
  }
  let order: Uint32Array = identityOrder(n);
  let low: Uint32Array = new Uint32Array(n);
  let high: Uint32Array = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const key = ts[i]! - min;
    const h = Math.floor(key / TWO_POW_32);
    high[i] = h;
    low[i] = key - h * TWO_POW_32;
  }
  let nextOrder: Uint32Array = new Uint32Array(n);
  let nextLow: Uint32Array = new Uint32Array(n);
  let nextHigh: Uint32Array = new Uint32Array(n);
  const passes = Math.max(1, Math.ceil(Math.log2(range + 1) / RADIX_BITS));
  const counts = new Uint32Array(RADIX_SIZE);
  for (let pass = 0; pass < passes; pass++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[digit(low[k]!, high[k]!, pass)]!++;
    let sum = 0;
    for (let d = 0; d < RADIX_SIZE; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const l = low[k]!;
      const h = high[k]!;
      const at = counts[digit(l, h, pass)]!++;
      nextOrder[at] = order[k]!;
      nextLow[at] = l;
      nextHigh[at] = h;
    }
    [order, nextOrder] = [nextOrder, order];
    [low, nextLow] = [nextLow, low];
    [high, nextHigh] = [nextHigh, high];
  }
  if (negativeZero) return { order, timestamps: gathered(ts, order) };
  const timestamps = new Float64Array(n);
  for (let k = 0; k < n; k++) timestamps[k] = min + (high[k]! * TWO_POW_32 + low[k]!);
  return { order, timestamps };
}

function gathered(ts: Float64Array, order: Uint32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = ts[order[k]!]!;
  return out;
}

/** The pass-th 12-bit digit of the 48-bit key high·2^32 + low. */
function digit(low: number, high: number, pass: number): number {
  switch (pass) {
    case 0:
      return low & 0xfff;
    case 1:
      return (low >>> 12) & 0xfff;
    case 2:
      return (low >>> 24) | ((high & 0xf) << 8);
    default:
      return (high >>> 4) & 0xfff;
  }
}

/** Columns a caller already holds; `statuses` absent means every point is Good (code 0). */
export interface PointArrays {
  readonly timestamps: Float64Array;
  /** NaN where the point has no value. */
  readonly values: Float64Array;
  readonly statuses?: Uint32Array;
}

function checkedLength(columns: PointArrays, where: string): number {
  const n = columns.timestamps.length;
  const mismatch =
    columns.values.length !== n
      ? `values has ${columns.values.length}`
      : columns.statuses !== undefined && columns.statuses.length !== n
        ? `statuses has ${columns.statuses.length}`
        : undefined;
  if (mismatch !== undefined) {
    throw new RangeError(
      `${where}: timestamps has ${n} entries but ${mismatch}; give one timestamp, value and status per point.`,
    );
  }
  return n;
}

/**
 * PointColumns from arrays the caller already has, with the meaning of PointColumnsBuilder (sorted
 * by timestamp, the last point at a timestamp wins). Strictly increasing timestamps, the usual case
 * for a CDF read, are checked in one pass and then used as they are, without a copy: copying 10M
 * points touches 200 MB of fresh memory, which cost more than the whole engine run. The columns
 * then share the caller's arrays, so the caller must not change them afterwards. Anything else is
 * copied, sorted and de-duplicated.
 */
export function pointColumnsOf(columns: PointArrays): PointColumns {
  const n = checkedLength(columns, "pointColumnsOf");
  if (timestampOrder(columns.timestamps, n) === "increasing") {
    return {
      length: n,
      timestamps: columns.timestamps,
      values: columns.values,
      statuses: columns.statuses ?? new Uint32Array(n),
    };
  }
  const builder = new PointColumnsBuilder(n);
  builder.appendColumns(columns);
  return builder.build();
}

export interface PointInput {
  timestamp: number;
  /** null, undefined or NaN: the point has no value. */
  value: number | null | undefined;
  status?: number;
}

/** Builds PointColumns from point objects in written order (for tests and small inputs). */
export function pointColumnsFrom(points: readonly PointInput[]): PointColumns {
  const builder = new PointColumnsBuilder(points.length);
  for (const p of points) builder.append(p.timestamp, p.value ?? Number.NaN, p.status ?? 0);
  return builder.build();
}
