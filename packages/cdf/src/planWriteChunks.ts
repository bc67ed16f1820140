// How a write is cut into insert requests: in the order given, each series' points are cut
// into consecutive slices that fill the current request up to its point and item limits. A
// series' slices therefore land in time order, request after request, and a failure part way
// leaves each series written up to a point in time, never with holes before it.

export interface WriteSlice {
  /** Index of the series in the write. */
  write: number;
  /** Points [from, to) of that series. */
  from: number;
  to: number;
}

export interface WriteChunk {
  slices: WriteSlice[];
  points: number;
}

/** Slices of `lengths[i]` points per series, packed into chunks of <= maxPoints points and <= maxItems slices. */
export function planWriteChunks(
  lengths: readonly number[],
  limits: { maxPoints: number; maxItems: number },
): WriteChunk[] {
  const chunks: WriteChunk[] = [];
  let current: WriteChunk = { slices: [], points: 0 };
  const close = () => {
    if (current.slices.length > 0) chunks.push(current);
    current = { slices: [], points: 0 };
  };
  for (const [write, length] of lengths.entries()) {
    let from = 0;
    while (from < length) {
      if (current.points >= limits.maxPoints || current.slices.length >= limits.maxItems) close();
      const to = Math.min(length, from + (limits.maxPoints - current.points));
      current.slices.push({ write, from, to });
      current.points += to - from;
      from = to;
    }
  }
  close();
  return chunks;
}
