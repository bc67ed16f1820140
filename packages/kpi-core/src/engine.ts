import { aggregatePushdown } from "./aggregatePushdown.js";
import { WindowAggregates } from "./aggregates.js";
import { cleanInput } from "./clean.js";
import { type AggregateNode, evaluateExpression } from "./expression.js";
import { type PreparedInput, prepareInput } from "./interpolate.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { InputSeries, InputSpec, KpiDatapoint, PushedAggregates, Window } from "./model.js";
import { PushedWindowAggregates } from "./pushedWindowAggregates.js";
import { describeSeries, seriesLookupKey } from "./series.js";

/** CDF stores numeric datapoints with values in (-1e100, 1e100) only. */
export const CDF_VALUE_LIMIT = 1e100;

/** One KPI and the windows to compute for it (ascending). */
export interface KpiRequest {
  kpi: KpiDefinition;
  windows: readonly Window[];
}

/**
 * The KPI's datapoint for each window, labelled by the window's start: Good with the value, or
 * Bad with value null and the reason there is none (design.md: "No value -> a Bad-status
 * datapoint, never NaN or 0"). `inputs` maps each input name of the KPI to its points, read over
 * the windows' span plus the last point before and the first after it, so that the segments
 * crossing the outer edges exist. Windows in ascending order cost O(points + windows) in total.
 */
export function computeWindows(
  kpi: KpiDefinition,
  windows: readonly Window[],
  inputs: ReadonlyMap<string, InputSeries>,
): KpiDatapoint[] {
  return evaluate([{ kpi, windows }], (_, spec) => inputs.get(spec.name))[0]!;
}

/**
 * Several KPIs in one sweep, with `series` keyed by `seriesLookupKey`. KPIs that read the same
 * series with the same cleaning and interpolation share one cleaned, prepared input, and KPIs on
 * the same window grid share each window's point pass and interpolation pass: five KPIs over one
 * input (hourly mean, min, max, ...) cost about one pass over its points, not five.
 */
export function computeKpis(
  requests: readonly KpiRequest[],
  series: ReadonlyMap<string, InputSeries>,
): KpiDatapoint[][] {
  return evaluate(requests, (_, spec) => series.get(seriesLookupKey(spec.series)));
}

type ResolveInput = (kpi: KpiDefinition, spec: InputSpec) => InputSeries | undefined;

/** One input's aggregates on one window grid, and the window it is positioned on. */
interface View {
  aggregates: WindowAggregates | PushedWindowAggregates;
  start: number;
  end: number;
}

function evaluate(requests: readonly KpiRequest[], resolve: ResolveInput): KpiDatapoint[][] {
  const prepared = new Map<InputSeries, Map<string, PreparedInput>>();
  const prepare = (kpi: KpiDefinition, spec: InputSpec): PreparedInput => {
    const input = resolve(kpi, spec);
    if (input === undefined) {
      throw new Error(
        `KPI ${kpi.key}: input "${spec.name}" (${describeSeries(spec.series)}) was not given to the engine; ` +
          `read its points and pass them under the name "${spec.name}"`,
      );
    }
    if (input.pointsRead === false) {
      throw new Error(
        `KPI ${kpi.key}: input "${spec.name}" (${describeSeries(spec.series)}) was read as CDF aggregates only, ` +
          "which do not cover these windows; read its points",
      );
    }
    const step = spec.step || input.isStep;
    const key = JSON.stringify([spec.clean, step, spec.maxGapMs ?? null, spec.uncertain]);
    let byTreatment = prepared.get(input);
    if (byTreatment === undefined) prepared.set(input, (byTreatment = new Map()));
    let result = byTreatment.get(key);
    if (result === undefined) {
      const clean = cleanInput(input.points, spec);
      result = prepareInput(clean, { step, maxGapMs: spec.maxGapMs });
      byTreatment.set(key, result);
    }
    return result;
  };

  // Views are shared per window grid: a view sits on one window at a time, and KPIs on the same
  // grid visit the same windows in the same order.
  const viewsByGrid = new Map<string, Map<PreparedInput | PushedAggregates, View>>();
  const sweeps = requests.map(({ kpi, windows }) => {
    const grid = JSON.stringify(kpi.window);
    let views = viewsByGrid.get(grid);
    if (views === undefined) viewsByGrid.set(grid, (views = new Map()));
    const byName = new Map<string, View>();
    const pushed = pushedTables(kpi, windows, resolve);
    if (pushed !== undefined) {
      for (const [name, table] of pushed) {
        let view = views.get(table);
        if (view === undefined) {
          view = { aggregates: new PushedWindowAggregates(table), start: Number.NaN, end: Number.NaN };
          views.set(table, view);
        }
        byName.set(name, view);
      }
      return new KpiSweep(kpi, windows, byName);
    }
    for (const spec of kpi.inputs) {
      const input = prepare(kpi, spec);
      let view = views.get(input);
      if (view === undefined) {
        view = { aggregates: new WindowAggregates(input), start: Number.NaN, end: Number.NaN };
        views.set(input, view);
      }
      byName.set(spec.name, view);
    }
    return new KpiSweep(kpi, windows, byName);
  });

  // Merge the sweeps in time order, so every shared view only moves forward.
  if (sweeps.length === 1) sweeps[0]!.runAll();
  else {
    for (;;) {
      let next: KpiSweep | undefined;
      for (const sweep of sweeps) {
        if (sweep.done) continue;
        if (next === undefined || sweep.nextStart < next.nextStart) next = sweep;
      }
      if (next === undefined) break;
      next.runNext();
    }
  }
  return sweeps.map((sweep) => sweep.datapoints);
}

/**
 * The server-side aggregates of each input the KPI's value uses, by input name, when the reader
 * took them for every one of them over all these windows; otherwise undefined (raw points).
 */
function pushedTables(
  kpi: KpiDefinition,
  windows: readonly Window[],
  resolve: ResolveInput,
): Map<string, PushedAggregates> | undefined {
  const pushdown = aggregatePushdown(kpi);
  if (pushdown === undefined || windows.length === 0) return undefined;
  const from = windows[0]!.start;
  const to = windows.at(-1)!.end;
  const tables = new Map<string, PushedAggregates>();
  for (const spec of pushdown.inputs) {
    const key = pushdown.tableKey(spec);
    const table = resolve(kpi, spec)?.aggregates?.find((t) => t.key === key && t.from <= from && t.to >= to);
    if (table === undefined) return undefined;
    tables.set(spec.name, table);
  }
  return tables;
}

/** One KPI's walk over its windows. */
class KpiSweep {
  readonly datapoints: KpiDatapoint[];
  private index = 0;
  private reason: string | undefined;
  private readonly env: { windowSeconds: number; aggregate(node: AggregateNode): number | undefined };

  constructor(
    private readonly kpi: KpiDefinition,
    private readonly windows: readonly Window[],
    private readonly views: ReadonlyMap<string, View>,
  ) {
    this.datapoints = new Array(windows.length);
    this.env = {
      windowSeconds: 0,
      aggregate: (node) => {
        const view = views.get(node.input);
        if (view === undefined) {
          throw new Error(
            `KPI ${kpi.key}: the value expression uses "${node.input}", which is not one of its inputs ` +
              `(${kpi.inputs.map((i) => i.name).join(", ")}); fix the value or add the input`,
          );
        }
        const value = view.aggregates.value(node.fn, node.args);
        if (value === undefined && this.reason === undefined) {
          this.reason = view.aggregates.explain(node.fn, node.input);
        }
        return value;
      },
    };
  }

  get done(): boolean {
    return this.index >= this.windows.length;
  }

  get nextStart(): number {
    return this.windows[this.index]!.start;
  }

  runAll(): void {
    while (!this.done) this.runNext();
  }

  runNext(): void {
    const w = this.index++;
    const window = this.windows[w]!;
    if (!(window.end > window.start)) {
      throw new RangeError(
        `KPI ${this.kpi.key}: window [${window.start}, ${window.end}) is empty; windows must have end > start`,
      );
    }
    for (const view of this.views.values()) {
      if (view.start !== window.start || view.end !== window.end) {
        view.aggregates.moveTo(window);
        view.start = window.start;
        view.end = window.end;
      }
    }
    this.reason = undefined;
    this.env.windowSeconds = (window.end - window.start) / 1000;
    const value = evaluateExpression(this.kpi.expression, this.env);
    if (value !== undefined && !(Math.abs(value) < CDF_VALUE_LIMIT)) {
      // CDF refuses the whole write for one such value, which would block the KPI for good.
      this.datapoints[w] = {
        timestamp: window.start,
        value: null,
        status: "Bad",
        reason: `${this.kpi.value} = ${value}, outside the range CDF stores (-1e100, 1e100)`,
      };
      return;
    }
    this.datapoints[w] =
      value !== undefined
        ? { timestamp: window.start, value, status: "Good" }
        : {
            timestamp: window.start,
            value: null,
            status: "Bad",
            reason: this.reason ?? `${this.kpi.value}: division by zero or a non-finite result`,
          };
  }
}
