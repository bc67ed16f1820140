import { parseExpression } from "../src/expression.js";
import {
  computeKpis,
  type KpiDefinition,
  PointColumnsBuilder,
  pointColumnsOf,
  type WindowSpec,
  windowsBetween,
} from "../src/index.js";
import { HOUR_MS } from "./benchData.js";
import { AGGREGATES, emptyResults, type WindowResults } from "./windowResults.js";

const EXPRESSIONS: Record<(typeof AGGREGATES)[number], string> = {
  twa: "twa(x)",
  integral: 'integral(x, "h")',
  min: "min(x)",
  max: "max(x)",
  count: "count(x)",
};

const HOURLY: WindowSpec = { kind: "fixed", everyMs: HOUR_MS, offsetMs: 0 };

function kpi(name: (typeof AGGREGATES)[number], maxGapMs: number): KpiDefinition {
  const value = EXPRESSIONS[name];
  return {
    series: { externalId: `bench:${name}` },
    key: `bench:${name}`,
    name: undefined,
    description: undefined,
    unit: undefined,
    window: HOURLY,
    settleMs: 0,
    startMs: 0,
    inputs: [
      {
        name: "x",
        series: { externalId: "bench:x" },
        clean: [],
        maxGapMs,
        step: false,
        counter: false,
        uncertain: false,
      },
    ],
    value,
    expression: parseExpression(value, ["x"]),
    configHash: name,
  };
}

export interface CoreRun {
  /** Wall time of the whole run: pointColumnsOf on the raw arrays and one computeKpis call for the five KPIs. */
  seconds: number;
  /** The engine only: one computeKpis call for the five KPIs, from PointColumns to datapoints. */
  engineSeconds: number;
  /** Per stage: build, then engine. */
  stages: Record<string, number>;
  results: WindowResults;
}

/**
 * kpi-core as an application uses it, from the same raw arrays the loop and pandas get, plus the
 * status column a CDF read delivers (`statuses` undefined: none, pointColumnsOf makes an all-Good
 * one). They become PointColumns through pointColumnsOf (the O(n) order check; sorted unique points
 * are used without a copy), then one KPI per aggregate, all five evaluated by one computeKpis call over the hourly
 * windows in [from, to): they share the cleaned input and each window's passes, as KPIs over one input do in a real run.
 */
export function runCore(
  timestamps: Float64Array,
  values: Float64Array,
  statuses: Uint32Array | undefined,
  from: number,
  to: number,
  maxGapMs: number,
): CoreRun {
  const stages: Record<string, number> = {};
  const started = performance.now();
  const points = pointColumnsOf(
    statuses === undefined ? { timestamps, values } : { timestamps, values, statuses },
  );
  stages.build = (performance.now() - started) / 1000;

  const windows = windowsBetween(HOURLY, from, to);
  const series = new Map([["bench:x", { points, isStep: false }]]);
  const results = emptyResults(windows.length);
  const engineStart = performance.now();
  const computed = computeKpis(
    AGGREGATES.map((name) => ({ kpi: kpi(name, maxGapMs), windows })),
    series,
  );
  stages.engine = (performance.now() - engineStart) / 1000;
  AGGREGATES.forEach((name, k) => {
    const datapoints = computed[k]!;
    const column = results[name];
    for (let w = 0; w < datapoints.length; w++) {
      const value = datapoints[w]!.value;
      column[w] = value === null ? Number.NaN : value;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, engineSeconds: seconds - stages.build, stages, results };
}

export const PAGE_POINTS = 100_000;

/**
 * The series with its 100,000-point pages in reverse order, as when pages or files arrive out of
 * order: not sorted, so pointColumnsOf takes its sort path. (A full shuffle took 26 s just to
 * make at 10M points on the benchmark VM, where every random access of a large array misses.)
 */
export function pagesReversed(timestamps: Float64Array, values: Float64Array, statuses: Uint32Array) {
  const n = timestamps.length;
  const out = {
    timestamps: new Float64Array(n),
    values: new Float64Array(n),
    statuses: new Uint32Array(n),
  };
  let at = 0;
  for (let end = n; end > 0; end -= Math.min(end, PAGE_POINTS)) {
    const start = Math.max(0, end - PAGE_POINTS);
    out.timestamps.set(timestamps.subarray(start, end), at);
    out.values.set(values.subarray(start, end), at);
    out.statuses.set(statuses.subarray(start, end), at);
    at += end - start;
  }
  return out;
}

/** Not in the goals, for the README: pointColumnsOf on unsorted points (radix sort, then gather). */
export function runUnsorted(unsorted: ReturnType<typeof pagesReversed>): { seconds: number; length: number } {
  const started = performance.now();
  const points = pointColumnsOf(unsorted);
  return { seconds: (performance.now() - started) / 1000, length: points.length };
}

/**
 * Not in the goals, for the README: the other ways points reach kpi-core. `pages` appends the
 * arrays in 100,000-point pages, as the CDF reader delivers them, with appendColumns (one bulk
 * copy per page); `perPoint` appends point by point, as a CSV reader does.
 */
export function runBuilders(
  timestamps: Float64Array,
  values: Float64Array,
  statuses: Uint32Array,
): { seconds: number; pages: number; perPoint: number; lengths: number[] } {
  const n = timestamps.length;
  const started = performance.now();
  const paged = new PointColumnsBuilder(n);
  for (let from = 0; from < n; from += PAGE_POINTS) {
    const to = Math.min(n, from + PAGE_POINTS);
    paged.appendColumns({
      timestamps: timestamps.subarray(from, to),
      values: values.subarray(from, to),
      statuses: statuses.subarray(from, to),
    });
  }
  const fromPages = paged.build();
  const pagesDone = performance.now();
  const single = new PointColumnsBuilder(n);
  for (let i = 0; i < n; i++) single.append(timestamps[i]!, values[i]!, statuses[i]!);
  const fromPoints = single.build();
  const done = performance.now();
  return {
    seconds: (done - started) / 1000,
    pages: (pagesDone - started) / 1000,
    perPoint: (done - pagesDone) / 1000,
    lengths: [fromPages.length, fromPoints.length],
  };
}
