// Reading what a span of windows needs, so that computing it gives the same datapoints however
// the windows are split into spans: each input's raw points over the span, widened until the
// span and the nearest kept points on each side (within the input's reach) are exactly what
// cleaning the whole series would give.

import { aggregatesOf } from "./expression.js";
import { type InputReach, inputReach } from "./inputReach.js";
import { lowerBound } from "./interpolate.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { InputSeries, InputSpec } from "./model.js";
import type { DatapointSource } from "./ports.js";
import { type Lacking, type ReadStats, readAround, type SeriesRead, type Wanted } from "./readAround.js";
import { seriesLookupKey } from "./series.js";
import { trustedClean } from "./trustedClean.js";

/** One KPI and the span [from, to) of the windows to compute. */
export interface SpanRequest {
  kpi: KpiDefinition;
  from: number;
  to: number;
}

/**
 * Every input series of these KPIs, keyed by seriesLookupKey, with enough points around each
 * span for computeKpis to give the whole series' values for the windows in it.
 */
export async function readInputs(
  source: DatapointSource,
  requests: readonly SpanRequest[],
  stats?: ReadStats,
): Promise<Map<string, InputSeries>> {
  const wanted: Wanted[] = [];
  for (const { kpi, from, to } of requests) {
    const withDelta = new Set(
      aggregatesOf(kpi.expression)
        .filter((node) => node.fn === "delta")
        .map((node) => node.input),
    );
    for (const spec of kpi.inputs) {
      wanted.push({
        series: spec.series,
        from,
        to,
        lacking: (read) => {
          const reach = inputReach(spec, read.isStep, withDelta.has(spec.name));
          return windowContextLacking(read, spec, reach, from, to);
        },
      });
    }
  }
  const reads = await readAround(source, wanted, stats);
  const series = new Map<string, InputSeries>();
  for (const { kpi } of requests) {
    for (const spec of kpi.inputs) {
      const key = seriesLookupKey(spec.series);
      const read = reads.get(key);
      if (read !== undefined) series.set(key, { points: read.points, isStep: read.isStep });
    }
  }
  return series;
}

function windowContextLacking(
  read: SeriesRead,
  spec: InputSpec,
  reach: InputReach,
  from: number,
  to: number,
): Lacking {
  const stages = trustedClean(read.points, spec, reach.clean, read.extent);
  const { points: kept, lo, hi } = stages[stages.length - 1]!;
  if (!(lo <= from && hi >= to)) return { before: !(lo <= from), after: !(hi >= to) };
  let before = false;
  if (reach.keptBeforeMs > 0 && lo !== Number.NEGATIVE_INFINITY) {
    const i = lowerBound(kept.timestamps, kept.length, from);
    const keptInside = i > 0 && kept.timestamps[i - 1]! >= lo;
    before = !(keptInside || lo <= from - reach.keptBeforeMs);
  }
  let after = false;
  if (reach.keptAfterMs > 0 && hi !== Number.POSITIVE_INFINITY) {
    const i = lowerBound(kept.timestamps, kept.length, to);
    const keptInside = i < kept.length && kept.timestamps[i]! < hi;
    after = !(keptInside || hi >= to + reach.keptAfterMs);
  }
  return { before, after };
}
