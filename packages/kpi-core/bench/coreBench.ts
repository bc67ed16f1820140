import { parseExpression } from "../src/expression.js";
import {
  computeKpis,
  type KpiDefinition,
  PointColumnsBuilder,
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
  /** Wall time of the whole run: PointColumnsBuilder (append + build) and one computeKpis call for the five KPIs. */
  seconds: number;
  /** The engine only: one computeKpis call for the five KPIs, from PointColumns to datapoints. */
  engineSeconds: number;
  /** Per stage: build, then engine. */
  stages: Record<string, number>;
  results: WindowResults;
}

/**
 * kpi-core as an application uses it: the points go through PointColumnsBuilder (sort check,
 * de-duplication), then one KPI per aggregate, all five evaluated by one computeKpis call over the hourly
 * windows in [from, to): they share the cleaned input and each window's passes, as KPIs over one input do in a real run.
 */
export function runCore(
  timestamps: Float64Array,
  values: Float64Array,
  from: number,
  to: number,
  maxGapMs: number,
): CoreRun {
  const stages: Record<string, number> = {};
  const started = performance.now();
  const builder = new PointColumnsBuilder(timestamps.length);
  for (let i = 0; i < timestamps.length; i++) builder.append(timestamps[i]!, values[i]!, 0);
  const points = builder.build();
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
