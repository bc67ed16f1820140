// Which KPIs can take CDF's server-side aggregates instead of raw points, because CDF's number is
// exactly kpi-core's, not merely close: a KPI whose value uses only count, min and max, of inputs
// without clean steps, on a window grid that CDF's aggregate intervals reproduce. Then the status
// filter is the only cleaning (CDF's aggregates skip Bad points, and Uncertain ones unless
// treatUncertainAsBad is false; de-duplication is CDF's own: one point per timestamp), and count,
// min and max do not depend on the order they are taken in. Left out, and why:
// - sum and mean: CDF adds in its own order (hour, day and month aggregates are rolled up from
//   precomputed pieces), kpi-core adds in time order; floating-point addition is not
//   associative, so the two differ in the last bits;
// - twa/average, integral, coverage, time*: CDF's interpolation rules differ (its 1-hour reach
//   per hour, edges, step series after the last point), see the emulator's README;
// - first, last, stddev, percentile, delta: no CDF aggregate gives them;
// - clean steps: CDF cannot apply them, and range/spike/flatline change which points count.

import { IANAZone } from "luxon";
import { aggregatesOf } from "./expression.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { InputSpec, WindowSpec } from "./model.js";
import { windowsBetween } from "./window.js";

/** How to ask CDF for a KPI's aggregates. */
export interface AggregatePushdown {
  /** CDF's granularity whose intervals are the KPI's windows ("10m", "1h", "1d", "1mo"). */
  granularity: string;
  /** The KPI's time zone for calendar windows; undefined: UTC. */
  timeZone: string | undefined;
  /** The inputs the value uses, once each (an input the value does not use is not read). */
  inputs: readonly InputSpec[];
  /** The key of one input's aggregates: the grid and the status filter decide every number. */
  tableKey(spec: InputSpec): string;
  /**
   * Whether CDF's intervals are exactly the windows in [from, to): both are window boundaries.
   * Calendar windows: every boundary on a 15-minute step of UTC (CDF refuses other offsets) and
   * no change of UTC offset within an hour of it, where zones disagree on which local midnight
   * counts (kpi-core takes the later of two, a library may take the earlier).
   */
  fits(from: number, to: number): boolean;
}

/** The aggregates CDF computes exactly as kpi-core does (see the comment at the top). */
const EXACT_ON_CDF = new Set(["count", "min", "max"]);

const memo = new WeakMap<KpiDefinition, AggregatePushdown | null>();

/** How to push the KPI's aggregates down to CDF, or undefined when its value needs raw points. */
export function aggregatePushdown(kpi: KpiDefinition): AggregatePushdown | undefined {
  let found = memo.get(kpi);
  if (found === undefined) {
    found = pushdownOf(kpi) ?? null;
    memo.set(kpi, found);
  }
  return found ?? undefined;
}

function pushdownOf(kpi: KpiDefinition): AggregatePushdown | undefined {
  const nodes = aggregatesOf(kpi.expression);
  if (nodes.length === 0 || !nodes.every((node) => EXACT_ON_CDF.has(node.fn))) return undefined;
  const used = new Set(nodes.map((node) => node.input));
  const inputs = kpi.inputs.filter((spec) => used.has(spec.name));
  if (inputs.length !== used.size || !inputs.every((spec) => spec.clean.length === 0)) return undefined;
  const grid = intervalsOf(kpi.window);
  if (grid === undefined) return undefined;
  const windowKey = JSON.stringify(kpi.window);
  return {
    granularity: grid.granularity,
    timeZone: grid.timeZone,
    inputs,
    tableKey: (spec) => JSON.stringify([windowKey, spec.uncertain]),
    fits: grid.fits,
  };
}

interface Intervals {
  granularity: string;
  timeZone: string | undefined;
  fits(from: number, to: number): boolean;
}

/**
 * CDF aligns intervals to the query's start rounded down to a whole granularity UNIT (in UTC, or
 * in the time zone for days and months), then steps by the granularity. A fixed window grid
 * (offset + k * every) matches when some unit divides both every and offset, within CDF's
 * multiples (seconds and minutes 1-120, hours 1-100,000): the query then starts on a window start
 * that is already a whole unit. Calendar days and months match only without an offset (CDF's
 * days and months start at local midnight); weeks not at all (no week granularity in the API).
 */
function intervalsOf(window: WindowSpec): Intervals | undefined {
  if (window.kind === "fixed") {
    for (const [unit, ms, most] of FIXED_UNITS) {
      const multiple = window.everyMs / ms;
      if (window.offsetMs % ms === 0 && Number.isInteger(multiple) && multiple <= most) {
        const onGrid = (t: number) => (t - window.offsetMs) % window.everyMs === 0;
        return {
          granularity: `${multiple}${unit}`,
          timeZone: undefined,
          // CDF's first interval starts at the query's start: it must be a window start.
          fits: (from, to) => to > from && onGrid(from) && onGrid(to),
        };
      }
    }
    return undefined;
  }
  if (window.offsetMs !== 0 || window.unit === "week") return undefined;
  const utc = window.timeZone === "UTC";
  const zone = IANAZone.create(window.timeZone);
  if (!zone.isValid) return undefined;
  return {
    granularity: window.unit === "day" ? "1d" : "1mo",
    timeZone: utc ? undefined : window.timeZone,
    fits: (from, to) => {
      const windows = windowsBetween(window, from, to);
      if (windows.length === 0 || windows[0]!.start !== from || windows.at(-1)!.end !== to) return false;
      if (utc) return true;
      const boundaries = [...windows.map((w) => w.start), windows.at(-1)!.end];
      return boundaries.every(
        (b) => b % QUARTER_HOUR_MS === 0 && zone.offset(b - HOUR_MS) === zone.offset(b + HOUR_MS),
      );
    },
  };
}

const HOUR_MS = 3_600_000;
const QUARTER_HOUR_MS = 900_000;

const FIXED_UNITS: ReadonlyArray<readonly [string, number, number]> = [
  ["h", HOUR_MS, 100_000],
  ["m", 60_000, 120],
  ["s", 1000, 120],
];
