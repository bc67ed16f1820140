import { type IntervalAggregates, STATUS_UNCERTAIN, type WindowSpec } from "../src/model.js";
import type { AggregatesAnswer, AggregatesRequest, DatapointSource } from "../src/ports.js";
import { InMemoryDatapointStore } from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";

/**
 * A source whose aggregates follow CDF's documented rules, for the plumbing between readInputs
 * and the engine (the numbers themselves are checked against the emulator in packages/cdf).
 */
export class AggregatingStore extends InMemoryDatapointStore {
  aggregateRequests: AggregatesRequest[][] = [];
  /**
   * `aggregatedFrom`: where the aggregates are computed from (default: this store's own points);
   * another store holding older data plays CDF's aggregates lagging an insert.
   */
  constructor(
    private readonly grids: ReadonlyMap<string, WindowSpec>,
    private readonly aggregatedFrom?: DatapointSource,
  ) {
    super();
  }
  async aggregates(requests: readonly AggregatesRequest[]): Promise<AggregatesAnswer[]> {
    this.aggregateRequests.push([...requests]);
    const answers = await (this.aggregatedFrom ?? this).read(
      requests.map((r) => ({ series: r.series, start: r.start, end: r.end })),
    );
    return requests.map((r, i) => {
      const { points } = answers[i]!;
      const grid = this.grids.get(`${r.granularity}/${r.timeZone ?? "UTC"}`)!;
      const limit = r.includeUncertain ? 2 * STATUS_UNCERTAIN : STATUS_UNCERTAIN;
      const starts: number[] = [];
      const count: number[] = [];
      const min: number[] = [];
      const max: number[] = [];
      for (const w of windowsBetween(grid, r.start, r.end)) {
        let n = 0;
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < points.length; k++) {
          const t = points.timestamps[k]!;
          if (t < w.start || t >= w.end || points.statuses[k]! >= limit) continue;
          n++;
          lo = Math.min(lo, points.values[k]!);
          hi = Math.max(hi, points.values[k]!);
        }
        if (n === 0) continue;
        starts.push(w.start);
        count.push(n);
        min.push(lo);
        max.push(hi);
      }
      const intervals: IntervalAggregates = {
        length: starts.length,
        starts: Float64Array.from(starts),
        count: Float64Array.from(count),
        min: Float64Array.from(min),
        max: Float64Array.from(max),
      };
      return { intervals, isStep: answers[i]!.isStep };
    });
  }
}
