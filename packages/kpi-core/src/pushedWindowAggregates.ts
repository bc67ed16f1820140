import type { AggregateName, PushedAggregates, Window } from "./model.js";

/**
 * The engine's per-window view (like WindowAggregates) on CDF's aggregates of one input: each
 * window is one interval, labelled by its start; a window without an interval had no counted
 * point. Only the aggregates aggregatePushdown lets through are answered.
 */
export class PushedWindowAggregates {
  private index = 0;
  /** The current window's interval, or -1 when it has none. */
  private at = -1;

  constructor(private readonly table: PushedAggregates) {}

  moveTo(window: Window): void {
    const { starts, length } = this.table.intervals;
    if (window.start < this.table.from || window.end > this.table.to) {
      throw new RangeError(
        `aggregates read for [${this.table.from}, ${this.table.to}) cannot answer window [${window.start}, ${window.end})`,
      );
    }
    // Windows come in ascending order, so the search moves forward from the last position.
    if (this.index > 0 && starts[this.index - 1]! >= window.start) this.index = 0;
    while (this.index < length && starts[this.index]! < window.start) this.index++;
    const i = this.index;
    if (i < length && starts[i]! < window.end && starts[i] !== window.start) {
      // Never take a misaligned interval for a window: a wrong value is worse than a failed read.
      throw new RangeError(
        `CDF's aggregate interval at ${starts[i]} lies inside window [${window.start}, ${window.end}) instead of starting it`,
      );
    }
    this.at = i < length && starts[i] === window.start ? i : -1;
  }

  value(fn: AggregateName, _args: ReadonlyArray<number | string>): number | undefined {
    const { count, min, max } = this.table.intervals;
    const i = this.at;
    switch (fn) {
      case "count":
        return i < 0 ? 0 : count[i]!;
      case "min":
        return i < 0 ? undefined : min[i]!;
      case "max":
        return i < 0 ? undefined : max[i]!;
      default:
        throw new Error(
          `${fn}() is not answered from CDF's aggregates; aggregatePushdown must not push it down`,
        );
    }
  }

  /** Why `value` is undefined for the current window; the same words as the raw path. */
  explain(_fn: AggregateName, name: string): string {
    return `no points of ${JSON.stringify(name)} in window`;
  }
}
