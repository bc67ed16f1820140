import { nextWindow, type Window, type WindowSpec, windowAtOrAfter } from "@kpi-pipeline/kpi-core";

/**
 * The windows of windowsBetween(spec, from, to), in order, as arrays of at most `size`: a range
 * of any length (a century of 1-second windows) is walked without holding all its windows.
 */
export function* windowBatches(
  spec: WindowSpec,
  from: number,
  to: number,
  size: number,
): Generator<Window[]> {
  let batch: Window[] = [];
  for (let w = windowAtOrAfter(spec, from); w.end <= to; w = nextWindow(spec, w)) {
    batch.push(w);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
