// Reading what a span of windows needs, so that computing it gives the same datapoints however
// the windows are split into spans: each input's raw points over the span, widened until the
// span and the nearest kept points on each side (within the input's reach) are exactly what
// cleaning the whole series would give.

import { aggregatePushdown } from "./aggregatePushdown.js";
import { aggregatesOf } from "./expression.js";
import { firstReadLookBackMs, type InputReach, inputReach } from "./inputReach.js";
import { lowerBound } from "./interpolate.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { InputSeries, InputSpec, PushedAggregates } from "./model.js";
import { PointColumnsBuilder } from "./points.js";
import type { AggregatesRequest, DatapointSource } from "./ports.js";
import { type Lacking, type ReadStats, readAround, type SeriesRead, type Wanted } from "./readAround.js";
import { seriesLookupKey } from "./series.js";
import { trustedClean } from "./trustedClean.js";

/** One KPI and the span [from, to) of the windows to compute. */
export interface SpanRequest {
  kpi: KpiDefinition;
  from: number;
  to: number;
  /** Read raw points even where aggregates would qualify (runKpis: windows with fresh changes). */
  raw?: boolean;
}

export interface ReadInputsOptions {
  /**
   * Take CDF's server-side aggregates instead of raw points where they equal kpi-core's values
   * (aggregatePushdown.ts), when the source offers them. Default true.
   */
  pushdown?: boolean;
}

/**
 * Every input series of these KPIs, keyed by seriesLookupKey, with enough points around each
 * span for computeKpis to give the whole series' values for the windows in it, or, for KPIs
 * that qualify, the source's aggregates over the span.
 */
export async function readInputs(
  source: DatapointSource,
  requests: readonly SpanRequest[],
  stats: ReadStats = { points: 0, requests: 0 },
  options: ReadInputsOptions = {},
): Promise<Map<string, InputSeries>> {
  const wanted: Wanted[] = [];
  const pushed = new Map<string, AggregatesRequest & { key: string; seriesKey: string }>();
  // A series some request wants raw is read raw for every KPI of the batch: the engine takes any
  // table that covers a KPI's windows, so a table pushed for one KPI would serve the other too.
  const rawSeries = new Set(
    requests
      .filter((r) => r.raw === true)
      .flatMap((r) => r.kpi.inputs.map((spec) => seriesLookupKey(spec.series))),
  );
  for (const { kpi, from, to, raw } of requests) {
    const pushdown =
      options.pushdown !== false && raw !== true && source.aggregates !== undefined && to > from
        ? aggregatePushdown(kpi)
        : undefined;
    if (
      pushdown?.fits(from, to) &&
      pushdown.inputs.every((spec) => !rawSeries.has(seriesLookupKey(spec.series)))
    ) {
      for (const spec of pushdown.inputs) {
        const key = pushdown.tableKey(spec);
        const seriesKey = seriesLookupKey(spec.series);
        const at = `${seriesKey}\u0000${key}`;
        const known = pushed.get(at);
        // One read per series and grid over the union of the spans (a batch's spans lie close
        // together, runKpis), unless the gap between them holds a boundary CDF's intervals miss.
        if (known !== undefined) {
          const start = Math.min(known.start, from);
          const end = Math.max(known.end, to);
          if (pushdown.fits(start, end)) {
            known.start = start;
            known.end = end;
            continue;
          }
        }
        pushed.set(known === undefined ? at : `${at}\u0000${from}`, {
          key,
          seriesKey,
          series: spec.series,
          start: from,
          end: to,
          granularity: pushdown.granularity,
          ...(pushdown.timeZone === undefined ? {} : { timeZone: pushdown.timeZone }),
          includeUncertain: spec.uncertain,
        });
      }
      continue;
    }
    const withDelta = new Set(
      aggregatesOf(kpi.expression)
        .filter((node) => node.fn === "delta")
        .map((node) => node.input),
    );
    for (const spec of kpi.inputs) {
      wanted.push({
        series: spec.series,
        from: from - firstReadLookBackMs(spec),
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
  if (pushed.size > 0) {
    const asked = [...pushed.values()];
    const answers = await source.aggregates!(asked.map(({ key: _, seriesKey: __, ...request }) => request));
    stats.requests++;
    asked.forEach((request, i) => {
      const answer = answers[i]!;
      stats.points += answer.intervals.length;
      const table: PushedAggregates = {
        key: request.key,
        from: request.start,
        to: request.end,
        intervals: answer.intervals,
      };
      const input = series.get(request.seriesKey) ?? {
        points: new PointColumnsBuilder(0).build(),
        isStep: answer.isStep,
        pointsRead: false,
      };
      input.aggregates = [...(input.aggregates ?? []), table];
      series.set(request.seriesKey, input);
    });
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
