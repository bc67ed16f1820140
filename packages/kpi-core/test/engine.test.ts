import { describe, expect, it } from "vitest";
import { computeKpis, computeWindows } from "../src/engine.js";
import { parseExpression } from "../src/expression.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import {
  type CleanStep,
  type InputSeries,
  type InputSpec,
  STATUS_UNCERTAIN,
  type Window,
} from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { type PointInput, pointColumnsFrom } from "../src/points.js";
import { seriesLookupKey } from "../src/series.js";
import { windowContaining } from "../src/window.js";

const M = 60_000;
const H = 3_600_000;

type InputOptions = Partial<Pick<InputSpec, "clean" | "maxGapMs" | "step" | "counter" | "uncertain">>;

function kpi(value: string, inputs: Record<string, InputOptions> = { flow: {} }): KpiDefinition {
  const specs: InputSpec[] = Object.entries(inputs).map(([name, o]) => ({
    name,
    series: { externalId: `src:${name}` },
    clean: o.clean ?? ([] as CleanStep[]),
    maxGapMs: o.maxGapMs,
    step: o.step ?? false,
    counter: o.counter ?? false,
    uncertain: o.uncertain ?? false,
  }));
  return {
    series: { externalId: "kpi:test" },
    key: "kpi:test",
    name: undefined,
    description: undefined,
    unit: undefined,
    window: { kind: "fixed", everyMs: H, offsetMs: 0 },
    settleMs: 0,
    startMs: 0,
    inputs: specs,
    value,
    expression: parseExpression(
      value,
      specs.map((s) => s.name),
    ),
    configHash: "test",
  };
}

function series(points: Array<[number, number | null, number?]>, isStep = false): InputSeries {
  const rows: PointInput[] = points.map(([timestamp, value, status]) => ({ timestamp, value, status }));
  return { points: pointColumnsFrom(rows), isStep };
}

const hours = (n: number): Window[] =>
  Array.from({ length: n }, (_, k) => ({ start: k * H, end: (k + 1) * H }));

// A ramp 0 -> 120 over two hours, a point every 30 minutes.
const ramp = series([
  [0, 0],
  [30 * M, 30],
  [60 * M, 60],
  [90 * M, 90],
  [120 * M, 120],
]);

describe("computeWindows", () => {
  it("writes one Good datapoint per window, labelled by the window start", () => {
    const out = computeWindows(kpi("twa(flow)"), hours(2), new Map([["flow", ramp]]));
    expect(out).toEqual([
      { timestamp: 0, value: 30, status: "Good" },
      { timestamp: H, value: 90, status: "Good" },
    ]);
  });

  it("gives a value CDF cannot store (outside (-1e100, 1e100)) a Bad datapoint with the reason", () => {
    const big = series([
      [0, 1e99],
      [30 * M, -1e99],
    ]);
    const out = computeWindows(
      kpi("max(flow) * 10 + 0 * windowSeconds", { flow: {} }),
      hours(1),
      new Map([["flow", big]]),
    );
    expect(out).toEqual([
      {
        timestamp: 0,
        value: null,
        status: "Bad",
        reason: "max(flow) * 10 + 0 * windowSeconds = 1e+100, outside the range CDF stores (-1e100, 1e100)",
      },
    ]);
    const low = computeWindows(kpi("min(flow) * 10 - 1"), hours(1), new Map([["flow", big]]))[0]!;
    expect(low.status).toBe("Bad");
    const justInside = computeWindows(kpi("max(flow) * 9.99"), hours(1), new Map([["flow", big]]))[0]!;
    expect(justInside).toEqual({ timestamp: 0, value: 1e99 * 9.99, status: "Good" });
  });

  it("gives a window without a value a Bad datapoint with value null and the reason", () => {
    const out = computeWindows(kpi("mean(flow)"), [{ start: 5 * H, end: 6 * H }], new Map([["flow", ramp]]));
    expect(out).toEqual([
      { timestamp: 5 * H, value: null, status: "Bad", reason: 'no points of "flow" in window' },
    ]);
  });

  it("reports the first aggregate without a value", () => {
    const out = computeWindows(
      kpi("twa(flow) + mean(flow)"),
      [{ start: 5 * H, end: 6 * H }],
      new Map([["flow", ramp]]),
    );
    expect(out[0]).toMatchObject({
      status: "Bad",
      reason: expect.stringMatching(/^no covered time of "flow"/),
    });
  });

  it("says division by zero when every aggregate had a value", () => {
    const out = computeWindows(
      kpi("twa(flow) / (max(flow) - max(flow))"),
      hours(1),
      new Map([["flow", ramp]]),
    );
    expect(out[0]).toEqual({
      timestamp: 0,
      value: null,
      status: "Bad",
      reason: "twa(flow) / (max(flow) - max(flow)): division by zero or a non-finite result",
    });
  });

  it("evaluates windowSeconds as the window's length", () => {
    const out = computeWindows(kpi("windowSeconds + count(flow)"), hours(1), new Map([["flow", ramp]]));
    // Points at 0, 30 min inside the first hour.
    expect(out[0]).toMatchObject({ value: 3602 });
  });

  it("cleans the input before aggregating", () => {
    const k = kpi("max(flow)", { flow: { clean: [{ range: [0, 50] }] } });
    expect(computeWindows(k, hours(2), new Map([["flow", ramp]])).map((d) => d.value)).toEqual([30, null]);
  });

  it("uses Uncertain points only for an input with uncertain: true", () => {
    const s = series([
      [0, 1],
      [10 * M, 5, STATUS_UNCERTAIN],
    ]);
    expect(computeWindows(kpi("max(flow)"), hours(1), new Map([["flow", s]]))[0]).toMatchObject({ value: 1 });
    const withUncertain = kpi("max(flow)", { flow: { uncertain: true } });
    expect(computeWindows(withUncertain, hours(1), new Map([["flow", s]]))[0]).toMatchObject({ value: 5 });
  });

  it("interpolates a step series (isStep) by holding values", () => {
    const s = series(
      [
        [0, 10],
        [30 * M, 20],
      ],
      true,
    );
    // Hour 1 averages 15 either way (step: 10 then 20 for 30 min each; linear: 10 -> 20 over the
    // covered half). Hour 2 tells them apart: step holds 20, linear never extrapolates.
    const out = computeWindows(kpi("twa(flow)"), hours(2), new Map([["flow", s]]));
    expect(out.map((d) => d.value)).toEqual([15, 20]);
    const linear = computeWindows(kpi("twa(flow)"), hours(2), new Map([["flow", { ...s, isStep: false }]]));
    expect(linear.map((d) => d.value)).toEqual([15, null]);
  });

  it("interpolates by steps when the input says step: true", () => {
    const s = series([[0, 10]]);
    const out = computeWindows(kpi("twa(flow)", { flow: { step: true } }), hours(1), new Map([["flow", s]]));
    expect(out[0]).toMatchObject({ value: 10 });
  });

  it("delta applies the counter reset rule whether or not the input says counter: true", () => {
    const units = series([
      [-M, 1000],
      [20 * M, 1040],
      [40 * M, 10],
    ]);
    for (const counter of [true, false]) {
      const out = computeWindows(
        kpi("delta(units)", { units: { counter } }),
        hours(1),
        new Map([["units", units]]),
      );
      expect(out[0]).toEqual({ timestamp: 0, value: 50, status: "Good" });
    }
  });

  it("computes energy per unit from an integral and a counter delta", () => {
    // power 100 kW flat over the hour: 100 kWh; units 1000 -> 1040 -> reset -> 10: delta 40 + 10 = 50.
    const power = series([
      [0, 100],
      [H, 100],
    ]);
    const units = series([
      [-M, 1000],
      [20 * M, 1040],
      [40 * M, 10],
    ]);
    const k = kpi('integral(power, "h") / delta(units)', { power: {}, units: { counter: true } });
    const out = computeWindows(
      k,
      hours(1),
      new Map([
        ["power", power],
        ["units", units],
      ]),
    );
    expect(out[0]).toEqual({ timestamp: 0, value: 2, status: "Good" });
  });

  it("evaluates only the chosen if() branch, so an unused missing aggregate is no problem", () => {
    const out = computeWindows(
      kpi("if(count(flow) > 0, mean(flow), -1)"),
      [{ start: 5 * H, end: 6 * H }],
      new Map([["flow", ramp]]),
    );
    expect(out[0]).toMatchObject({ value: -1, status: "Good" });
  });

  it("throws naming the KPI and the input when an input series is missing", () => {
    expect(() => computeWindows(kpi("twa(flow)"), hours(1), new Map())).toThrow(
      /KPI kpi:test: input "flow" \(externalId "src:flow"\) was not given/,
    );
  });

  it("throws naming the KPI when the expression uses a name that is not one of its inputs", () => {
    const k = { ...kpi("twa(flow)"), expression: parseExpression("twa(other)", ["other"]) };
    expect(() => computeWindows(k, hours(1), new Map([["flow", ramp]]))).toThrow(
      /KPI kpi:test: the value expression uses "other", which is not one of its inputs \(flow\)/,
    );
  });

  it("rejects an empty window", () => {
    expect(() => computeWindows(kpi("twa(flow)"), [{ start: H, end: H }], new Map([["flow", ramp]]))).toThrow(
      /window \[3600000, 3600000\) is empty/,
    );
  });

  it("gives the same values for windows out of order", () => {
    const windows = hours(2);
    const forward = computeWindows(kpi("twa(flow)"), windows, new Map([["flow", ramp]]));
    const backward = computeWindows(kpi("twa(flow)"), [...windows].reverse(), new Map([["flow", ramp]]));
    expect(backward.reverse()).toEqual(forward);
  });
});

describe("computeWindows with a kpis.yaml definition", () => {
  it("computes energy per unit over the 23-hour production day of the Oslo spring-forward", () => {
    const [energyPerUnit] = parseKpiConfig({
      defaults: { timeZone: "Europe/Oslo", settle: "5m" },
      kpis: [
        {
          externalId: "kpi:line-1:energy-per-unit-1d",
          window: { every: "1d", offset: "6h" },
          start: "2024-01-01T05:00:00Z",
          inputs: {
            power: { externalId: "line-1:power-kw" },
            units: { externalId: "line-1:produced", counter: true },
          },
          value: 'integral(power, "h") / delta(units)',
        },
      ],
    });
    // 2024-03-30 06:00 CET (05:00Z) to 2024-03-31 06:00 CEST (04:00Z): 23 hours.
    const day = windowContaining(energyPerUnit!.window, Date.parse("2024-03-30T12:00:00Z"));
    expect(day).toEqual({
      start: Date.parse("2024-03-30T05:00:00Z"),
      end: Date.parse("2024-03-31T04:00:00Z"),
    });
    // 100 kW all day: 2300 kWh. The counter gains 10 an hour, from 1000 an hour before the day to
    // 1230 at its last hour (22:00 after the start): 230 units. 2300 / 230 = 10 kWh per unit.
    const power = series(
      Array.from({ length: 100 }, (_, k) => [day.start - 2 * H + k * 30 * M, 100] as [number, number]),
    );
    const units = series(
      Array.from({ length: 30 }, (_, k) => [day.start + (k - 1) * H, 1000 + 10 * k] as [number, number]),
    );
    const out = computeWindows(
      energyPerUnit!,
      [day],
      new Map([
        ["power", power],
        ["units", units],
      ]),
    );
    expect(out).toEqual([{ timestamp: day.start, value: 10, status: "Good" }]);
  });
});

describe("computeKpis", () => {
  // A noisy hourly-ish series with a gap over one hour and a Bad point.
  const flow = series([
    [0, 10],
    [20 * M, 14],
    [50 * M, 11, 2147483648],
    [70 * M, 9],
    [200 * M, 20],
    [230 * M, 18],
    [300 * M, 25],
  ]);
  const withKey = (value: string, key: string, inputs?: Record<string, InputOptions>): KpiDefinition => ({
    ...kpi(value, inputs),
    key,
  });

  it("gives each KPI exactly what computeWindows gives it alone", () => {
    const halfHourly = {
      ...withKey("max(flow)", "k:max30"),
      window: { kind: "fixed", everyMs: 30 * M, offsetMs: 0 },
    } as KpiDefinition;
    const requests = [
      { kpi: withKey("twa(flow)", "k:twa"), windows: hours(5) },
      { kpi: withKey("count(flow) + min(flow)", "k:count"), windows: hours(5).slice(2) },
      { kpi: withKey("twa(flow)", "k:ranged", { flow: { clean: [{ range: [0, 15] }] } }), windows: hours(4) },
      {
        kpi: halfHourly,
        windows: Array.from({ length: 10 }, (_, k) => ({ start: k * 30 * M, end: (k + 1) * 30 * M })),
      },
    ];
    const bySeries = new Map([[seriesLookupKey({ externalId: "src:flow" }), flow]]);
    const together = computeKpis(requests, bySeries);
    const alone = requests.map(({ kpi: k, windows }) =>
      computeWindows(k, windows, new Map([["flow", flow]])),
    );
    expect(together).toEqual(alone);
    // Hand-computed: the first hour's twa. 10 -> 14 over [0, 20 min): mean 12; 14 -> 9 over
    // [20, 70 min) (the Bad point at 50 min is dropped) is 10 at 60 min: mean 12 over 40 min.
    expect(together[0]![0]).toEqual({ timestamp: 0, value: 12, status: "Good" });
  });

  it("names the KPI and the series when a series is missing from the map", () => {
    expect(() => computeKpis([{ kpi: kpi("twa(flow)"), windows: hours(1) }], new Map())).toThrow(
      /KPI kpi:test: input "flow" \(externalId "src:flow"\) was not given/,
    );
  });
});
