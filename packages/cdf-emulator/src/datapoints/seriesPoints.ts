// The datapoints of one time series: sorted, non-overlapping chunks of columns. In-order batches
// (the common case: a writer appending new data) are copied onto the last chunk; an out-of-order
// batch is merged only with the chunks its time range touches, so no write or read ever scans a
// whole series. Equal timestamps overwrite in place, as CDF does.

import {
  allocColumns,
  type Columns,
  capacityOf,
  copyRange,
  ensureOptionalColumns,
  lowerBound,
  removeRange,
  resize,
} from "./columns.js";

/** Points per chunk: big enough that a 100k-point page spans 2-3 chunks, small enough to merge fast. */
export const CHUNK_CAPACITY = 1 << 16;

/** A position in a series: chunk index and index within the chunk. */
export interface PointPosition {
  chunk: number;
  index: number;
}

export class SeriesPoints {
  readonly chunks: Columns[] = [];
  #count = 0;

  /** `chunkCapacity` is a parameter only so tests can exercise chunk splits with few points. */
  constructor(
    readonly isString: boolean,
    readonly chunkCapacity: number = CHUNK_CAPACITY,
  ) {}

  get count(): number {
    return this.#count;
  }

  get firstTimestamp(): number | undefined {
    const c = this.chunks[0];
    return c ? c.ts[0] : undefined;
  }

  get lastTimestamp(): number | undefined {
    const c = this.chunks[this.chunks.length - 1];
    return c ? c.ts[c.length - 1] : undefined;
  }

  /** Upsert a batch that is sorted ascending with unique timestamps (see `sortBatch`). */
  insert(batch: Columns): void {
    if (batch.length === 0) return;
    const last = this.lastTimestamp;
    if (last === undefined || batch.ts[0]! > last) this.#append(batch, 0);
    else this.#merge(batch);
  }

  /** Delete points with begin <= ts < end; returns how many were removed. */
  deleteRange(begin: number, end: number): number {
    if (end <= begin) return 0;
    let removed = 0;
    let c = this.#firstChunkEndingAtOrAfter(begin);
    while (c < this.chunks.length) {
      const chunk = this.chunks[c]!;
      if (chunk.ts[0]! >= end) break;
      const from = lowerBound(chunk, begin);
      const to = lowerBound(chunk, end);
      removed += to - from;
      if (from === 0 && to === chunk.length) {
        this.chunks.splice(c, 1);
        continue;
      }
      removeRange(chunk, from, to);
      c++;
    }
    this.#count -= removed;
    return removed;
  }

  /** Position of the first point with ts >= t (chunk = chunks.length when there is none). */
  seek(t: number): PointPosition {
    const c = this.#firstChunkEndingAtOrAfter(t);
    if (c >= this.chunks.length) return { chunk: this.chunks.length, index: 0 };
    return { chunk: c, index: lowerBound(this.chunks[c]!, t) };
  }

  /** Position of the last point with ts < t, or undefined. */
  seekBefore(t: number): PointPosition | undefined {
    const p = this.seek(t);
    if (p.index > 0) return { chunk: p.chunk, index: p.index - 1 };
    if (p.chunk === 0) return undefined;
    const prev = this.chunks[p.chunk - 1]!;
    return { chunk: p.chunk - 1, index: prev.length - 1 };
  }

  #firstChunkEndingAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk.ts[chunk.length - 1]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #append(batch: Columns, from: number): void {
    let i = from;
    this.#count += batch.length - from;
    while (i < batch.length) {
      let tail = this.chunks[this.chunks.length - 1];
      const cap = this.chunkCapacity;
      if (!tail || tail.length >= cap) {
        tail = allocColumns(this.isString, 0, false, false);
        this.chunks.push(tail);
      }
      const take = Math.min(batch.length - i, cap - tail.length);
      if (capacityOf(tail) < tail.length + take) {
        resize(tail, Math.min(cap, Math.max(tail.length + take, capacityOf(tail) * 2, 1024)));
      }
      ensureOptionalColumns(tail, batch);
      copyRange(batch, i, i + take, tail, tail.length);
      tail.length += take;
      i += take;
    }
  }

  #merge(batch: Columns): void {
    const lo = batch.ts[0]!;
    const hi = batch.ts[batch.length - 1]!;
    let first = this.#firstChunkEndingAtOrAfter(lo);
    let last = first;
    while (last < this.chunks.length && this.chunks[last]!.ts[0]! <= hi) last++;
    // [first, last) are the chunks the batch overlaps. A batch that falls in a gap between two
    // chunks joins its left neighbour, so small out-of-order writes don't breed tiny chunks.
    if (first === last) {
      if (first > 0) first--;
      else last++;
    }
    const olds = this.chunks.slice(first, last);
    let total = batch.length;
    for (const c of olds) total += c.length;
    const merged = allocColumns(
      this.isString,
      total,
      batch.status !== null || olds.some((c) => c.status !== null),
      batch.noValue !== null || olds.some((c) => c.noValue !== null),
    );
    let oldCount = 0;
    let bi = 0;
    for (const c of olds) {
      oldCount += c.length;
      let ci = 0;
      while (ci < c.length) {
        const t = c.ts[ci]!;
        // Batch points before t go first; a batch point at t overwrites the stored one.
        let bj = bi;
        while (bj < batch.length && batch.ts[bj]! <= t) bj++;
        copyRange(batch, bi, bj, merged, merged.length);
        merged.length += bj - bi;
        const overwritten = bj > bi && batch.ts[bj - 1] === t;
        bi = bj;
        // Copy the run of stored points below the next batch point in one go.
        const limit = bi < batch.length ? batch.ts[bi]! : Number.POSITIVE_INFINITY;
        let cj = overwritten ? ci + 1 : ci;
        const runStart = cj;
        while (cj < c.length && c.ts[cj]! < limit) cj++;
        copyRange(c, runStart, cj, merged, merged.length);
        merged.length += cj - runStart;
        ci = cj;
      }
    }
    copyRange(batch, bi, batch.length, merged, merged.length);
    merged.length += batch.length - bi;
    this.#count += merged.length - oldCount;
    this.chunks.splice(first, last - first, ...split(merged, this.isString, this.chunkCapacity));
  }
}

/** Cut a merged run into chunks of at most CHUNK_CAPACITY points of about equal size. */
function split(merged: Columns, isString: boolean, capacity: number): Columns[] {
  if (merged.length <= capacity) return [merged];
  const parts = Math.ceil(merged.length / capacity);
  const size = Math.ceil(merged.length / parts);
  const out: Columns[] = [];
  for (let from = 0; from < merged.length; from += size) {
    const to = Math.min(merged.length, from + size);
    const part = allocColumns(isString, to - from, merged.status !== null, merged.noValue !== null);
    copyRange(merged, from, to, part, 0);
    part.length = to - from;
    out.push(part);
  }
  return out;
}
