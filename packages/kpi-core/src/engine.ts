import { WindowAggregates } from "./aggregates.js";
import { cleanInput } from "./clean.js";
import { type AggregateNode, evaluateExpression } from "./expression.js";
import { prepareInput } from "./interpolate.js";
import type { InputSeries, KpiDatapoint, KpiDefinition, Window } from "./model.js";

export interface ComputeOptions {
  /** Use Uncertain input points too (default: Good only). */
  includeUncertain?: boolean;
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
  opts: ComputeOptions = {},
): KpiDatapoint[] {
  const views = new Map<string, WindowAggregates>();
  for (const spec of kpi.inputs) {
    const series = inputs.get(spec.name);
    if (series === undefined) {
      throw new Error(
        `KPI ${kpi.key}: input "${spec.name}" (${seriesLabel(spec.series)}) was not given to the engine; ` +
          `read its points and pass them under the name "${spec.name}"`,
      );
    }
    const clean = cleanInput(series.points, spec, opts);
    const prepared = prepareInput(clean, {
      step: spec.step || series.isStep,
      maxGapMs: spec.maxGapMs,
      counter: spec.counter,
    });
    views.set(spec.name, new WindowAggregates(prepared));
  }

  let reason: string | undefined;
  const env = {
    windowSeconds: 0,
    aggregate(node: AggregateNode): number | undefined {
      const view = views.get(node.input);
      if (view === undefined) {
        throw new Error(
          `KPI ${kpi.key}: the value expression uses "${node.input}", which is not one of its inputs ` +
            `(${kpi.inputs.map((i) => i.name).join(", ")}); fix the value or add the input`,
        );
      }
      const value = view.value(node.fn, node.args);
      if (value === undefined && reason === undefined) reason = view.explain(node.fn, node.input);
      return value;
    },
  };

  const datapoints: KpiDatapoint[] = new Array(windows.length);
  for (let w = 0; w < windows.length; w++) {
    const window = windows[w]!;
    if (!(window.end > window.start)) {
      throw new RangeError(
        `KPI ${kpi.key}: window [${window.start}, ${window.end}) is empty; windows must have end > start`,
      );
    }
    for (const view of views.values()) view.moveTo(window);
    reason = undefined;
    env.windowSeconds = (window.end - window.start) / 1000;
    const value = evaluateExpression(kpi.expression, env);
    datapoints[w] =
      value !== undefined
        ? { timestamp: window.start, value, status: "Good" }
        : {
            timestamp: window.start,
            value: null,
            status: "Bad",
            reason: reason ?? `${kpi.value}: division by zero or a non-finite result`,
          };
  }
  return datapoints;
}

function seriesLabel(ref: KpiDefinition["series"]): string {
  return "externalId" in ref
    ? `externalId ${ref.externalId}`
    : `instanceId ${ref.instanceId.space}:${ref.instanceId.externalId}`;
}
