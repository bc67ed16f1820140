// A run of datapoints stored column by column: the unit of storage (a chunk of a series) and of
// transfer (a sorted insert batch). Typed arrays keep 50M+ points at ~16 bytes each and make
// range copies a memcpy. Status and "no value" columns are allocated only when a point needs them,
// since almost all points are Good and have a value.

export interface Columns {
  /** Timestamps in ms, ascending and unique within a chunk; capacity may exceed `length`. */
  ts: Float64Array;
  /** Numeric values (numeric series); NaN/Infinity only on Bad points. */
  num: Float64Array | null;
  /** String values (string series); null = a Bad point without value. */
  str: (string | null)[] | null;
  /** Status codes (uint32); null means every point is Good. */
  status: Uint32Array | null;
  /** 1 where a numeric point has no value (Bad without value); null means all have one. */
  noValue: Uint8Array | null;
  length: number;
}

export function allocColumns(
  isString: boolean,
  capacity: number,
  withStatus: boolean,
  withNoValue: boolean,
): Columns {
  return {
    ts: new Float64Array(capacity),
    num: isString ? null : new Float64Array(capacity),
    str: isString ? new Array<string | null>(capacity).fill(null) : null,
    status: withStatus ? new Uint32Array(capacity) : null,
    noValue: withNoValue && !isString ? new Uint8Array(capacity) : null,
    length: 0,
  };
}

export function capacityOf(c: Columns): number {
  return c.ts.length;
}

/** Reallocate `c`'s columns to `capacity` (>= c.length), keeping its points. */
export function resize(c: Columns, capacity: number): void {
  const ts = new Float64Array(capacity);
  ts.set(c.ts.subarray(0, c.length));
  c.ts = ts;
  if (c.num) {
    const num = new Float64Array(capacity);
    num.set(c.num.subarray(0, c.length));
    c.num = num;
  }
  if (c.str) {
    const str = c.str.slice(0, c.length);
    str.length = capacity;
    c.str = str.fill(null, c.length);
  }
  if (c.status) {
    const status = new Uint32Array(capacity);
    status.set(c.status.subarray(0, c.length));
    c.status = status;
  }
  if (c.noValue) {
    const noValue = new Uint8Array(capacity);
    noValue.set(c.noValue.subarray(0, c.length));
    c.noValue = noValue;
  }
}

/** Make sure `dst` has the optional columns `src` uses (zero = Good / has value). */
export function ensureOptionalColumns(dst: Columns, src: Columns): void {
  if (src.status && !dst.status) dst.status = new Uint32Array(capacityOf(dst));
  if (src.noValue && !dst.noValue && dst.num) dst.noValue = new Uint8Array(capacityOf(dst));
}

/** Copy src[from, to) to dst at `at`; dst must have the capacity and the optional columns. */
export function copyRange(src: Columns, from: number, to: number, dst: Columns, at: number): void {
  if (to <= from) return;
  dst.ts.set(src.ts.subarray(from, to), at);
  if (dst.num && src.num) dst.num.set(src.num.subarray(from, to), at);
  if (dst.str && src.str) for (let i = from; i < to; i++) dst.str[at + i - from] = src.str[i]!;
  if (dst.status) {
    if (src.status) dst.status.set(src.status.subarray(from, to), at);
    else dst.status.fill(0, at, at + to - from);
  }
  if (dst.noValue) {
    if (src.noValue) dst.noValue.set(src.noValue.subarray(from, to), at);
    else dst.noValue.fill(0, at, at + to - from);
  }
}

/** Remove points [from, to) from `c` in place. */
export function removeRange(c: Columns, from: number, to: number): void {
  if (to <= from) return;
  const n = c.length;
  c.ts.copyWithin(from, to, n);
  c.num?.copyWithin(from, to, n);
  if (c.str) {
    c.str.splice(from, to - from);
    c.str.length = c.ts.length;
    c.str.fill(null, n - (to - from));
  }
  c.status?.copyWithin(from, to, n);
  c.noValue?.copyWithin(from, to, n);
  c.length = n - (to - from);
}

/** Index of the first point with ts >= t in c[0, length) (length when none). */
export function lowerBound(c: Columns, t: number): number {
  let lo = 0;
  let hi = c.length;
  const ts = c.ts;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
