import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KpiConfigError } from "../src/kpiConfigError.js";
import { kpiConfigJsonSchema, kpiConfigJsonSchemaText } from "../src/kpiConfigJsonSchema.js";
import type { KpiConfigInput } from "../src/kpiConfigSchema.js";
import type { KpiDefinition } from "../src/kpiDefinition.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { seriesKey } from "../src/series.js";

const H = 3_600_000;
const M = 60_000;

/** The example of design.md, with a start for the second KPI. */
const designExample = {
  defaults: { timeZone: "Europe/Oslo", settle: "5m" },
  kpis: [
    {
      externalId: "kpi:pump-01:flow-avg-1h",
      name: "Pump 01 flow, hourly time-weighted mean",
      unit: "m3/h",
      window: { every: "1h" },
      start: "2024-01-01T00:00:00Z",
      inputs: { flow: { externalId: "pump-01:flow", clean: [{ range: [0, 500] }], maxGap: "1h" } },
      value: "twa(flow)",
    },
    {
      externalId: "kpi:line-1:energy-per-unit-1d",
      window: { every: "1d", offset: "6h" },
      start: "2024-01-01T06:00:00+01:00",
      inputs: {
        power: { externalId: "line-1:power-kw" },
        units: { externalId: "line-1:produced", counter: true },
      },
      value: 'integral(power, "h") / delta(units)',
    },
  ],
} satisfies KpiConfigInput;

type KpiEntry = KpiConfigInput["kpis"][number];

/** One hourly KPI with overrides; the smallest valid config. */
function kpi(overrides: Partial<Record<keyof KpiEntry, unknown>> = {}): Record<string, unknown> {
  return {
    externalId: "kpi:a",
    window: { every: "1h" },
    start: "2024-01-01T00:00:00Z",
    inputs: { x: { externalId: "sensor:x" } },
    value: "twa(x)",
    ...overrides,
  };
}

function one(overrides: Partial<Record<keyof KpiEntry, unknown>> = {}, defaults?: object): KpiDefinition {
  const [definition] = parseKpiConfig({ defaults, kpis: [kpi(overrides)] });
  return definition!;
}

function issuesOf(raw: unknown): Array<{ path: string; message: string }> {
  try {
    parseKpiConfig(raw);
  } catch (error) {
    if (error instanceof KpiConfigError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a KpiConfigError");
}

/** The single issue a one-KPI config with these overrides has. */
function issueOf(overrides: Partial<Record<keyof KpiEntry, unknown>>, defaults?: object) {
  const issues = issuesOf({ defaults, kpis: [kpi(overrides)] });
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe("parseKpiConfig normalizes the design example", () => {
  const [flow, energy] = parseKpiConfig(designExample);

  it("reads a fixed hourly window with the defaults' settle", () => {
    expect(flow).toMatchObject({
      series: { externalId: "kpi:pump-01:flow-avg-1h" },
      key: "kpi:pump-01:flow-avg-1h",
      name: "Pump 01 flow, hourly time-weighted mean",
      unit: "m3/h",
      description: undefined,
      window: { kind: "fixed", everyMs: H, offsetMs: 0 },
      settleMs: 5 * M,
      startMs: Date.UTC(2024, 0, 1),
      value: "twa(flow)",
      expression: { type: "aggregate", fn: "twa", input: "flow", args: [] },
    });
  });

  it("reads inputs with their cleaning, maxGap and defaults for step and counter", () => {
    expect(flow!.inputs).toEqual([
      {
        name: "flow",
        series: { externalId: "pump-01:flow" },
        clean: [{ range: [0, 500] }],
        maxGapMs: H,
        step: false,
        counter: false,
        uncertain: false,
      },
    ]);
    expect(energy!.inputs[1]).toMatchObject({ name: "units", counter: true, maxGapMs: undefined });
  });

  it("reads a calendar day in the defaults' time zone with a local offset", () => {
    expect(energy!.window).toEqual({
      kind: "calendar",
      unit: "day",
      offsetMs: 6 * H,
      timeZone: "Europe/Oslo",
    });
    expect(energy!.startMs).toBe(Date.UTC(2024, 0, 1, 5));
  });

  it("gives each KPI a 16-hex-digit config hash", () => {
    expect(flow!.configHash).toMatch(/^[0-9a-f]{16}$/);
    expect(flow!.configHash).not.toBe(energy!.configHash);
  });
});

describe("fields and defaults", () => {
  it("uses UTC and no settle when there are no defaults", () => {
    const definition = one({ window: { every: "1d" } });
    expect(definition.window).toEqual({ kind: "calendar", unit: "day", offsetMs: 0, timeZone: "UTC" });
    expect(definition.settleMs).toBe(0);
  });

  it("lets window.timeZone override defaults.timeZone", () => {
    const definition = one(
      { window: { every: "1w", timeZone: "America/New_York" }, start: "2024-01-01T00:00:00-05:00" },
      { timeZone: "Europe/Oslo" },
    );
    expect(definition.window).toMatchObject({ unit: "week", timeZone: "America/New_York" });
  });

  it("lets a KPI's settle override defaults.settle", () => {
    expect(one({ settle: "15m" }, { settle: "5m" }).settleMs).toBe(15 * M);
  });

  it("takes start from defaults.start when the KPI has none", () => {
    expect(one({ start: undefined }, { start: "2024-02-01T00:00:00Z" }).startMs).toBe(Date.UTC(2024, 1, 1));
  });

  it("accepts a Date for start, as YAML parsers make of unquoted timestamps", () => {
    expect(one({ start: new Date("2024-03-01T00:00:00Z") }).startMs).toBe(Date.UTC(2024, 2, 1));
  });

  it("reads a start without an offset as wall-clock time in the KPI's time zone", () => {
    const definition = one({ window: { every: "1mo" }, start: "2024-03-01" }, { timeZone: "Europe/Oslo" });
    expect(definition.startMs).toBe(Date.UTC(2024, 1, 29, 23));
  });

  it("reads an output in data modeling by instanceId and keys it space:externalId", () => {
    const definition = one({ externalId: undefined, instanceId: { space: "kpis", externalId: "flow-1h" } });
    expect(definition.series).toEqual({ instanceId: { space: "kpis", externalId: "flow-1h" } });
    expect(definition.key).toBe("kpis:flow-1h");
    expect(seriesKey({ externalId: "a" })).toBe("a");
  });

  it("reads an input by instanceId", () => {
    const definition = one({ inputs: { x: { instanceId: { space: "plant", externalId: "x" } } } });
    expect(definition.inputs[0]!.series).toEqual({ instanceId: { space: "plant", externalId: "x" } });
  });

  it("fills spike defaults (window 7, k 3) and converts flatline durations", () => {
    const definition = one({
      inputs: {
        x: {
          externalId: "x",
          clean: [{ spike: {} }, { spike: { window: 5, k: 2.5 } }, { flatline: { duration: "2h" } }],
        },
      },
    });
    expect(definition.inputs[0]!.clean).toEqual([
      { spike: { window: 7, k: 3 } },
      { spike: { window: 5, k: 2.5 } },
      { flatline: { durationMs: 2 * H } },
    ]);
  });

  it("reads step and maxGap of an input", () => {
    expect(one({ inputs: { x: { externalId: "x", step: true, maxGap: "1d" } } }).inputs[0]).toMatchObject({
      step: true,
      maxGapMs: 24 * H,
    });
  });

  it("accepts an input referenced nowhere in value", () => {
    expect(one({ inputs: { x: { externalId: "x" }, unused: { externalId: "y" } } }).inputs).toHaveLength(2);
  });

  it("accepts offset 0 as a number and a fixed window with an offset", () => {
    expect(one({ window: { every: "1h", offset: 0 } }).window).toEqual({
      kind: "fixed",
      everyMs: H,
      offsetMs: 0,
    });
    expect(one({ window: { every: "1h", offset: "15m" }, start: "2024-01-01T00:15:00Z" }).window).toEqual({
      kind: "fixed",
      everyMs: H,
      offsetMs: 15 * M,
    });
  });

  it("treats 24h as a fixed window and 1d as a calendar day", () => {
    expect(one({ window: { every: "24h" } }).window.kind).toBe("fixed");
    expect(one({ window: { every: "1d" } }).window.kind).toBe("calendar");
  });

  it("accepts an empty list of KPIs", () => {
    expect(parseKpiConfig({ kpis: [] })).toEqual([]);
  });
});

describe("load errors carry the path and the fix", () => {
  it("formats every issue on its own line, prefixed with the source", () => {
    const raw = {
      kpis: [
        kpi(),
        kpi({ externalId: "b" }),
        kpi({ externalId: "c" }),
        kpi({ externalId: "d", window: { every: "90x" } }),
      ],
    };
    expect(() => parseKpiConfig(raw, "kpis.yaml")).toThrow(
      'kpis.yaml: kpis[3].window.every: "90x" is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo',
    );
  });

  it("reports all issues of all KPIs in one error", () => {
    const error = issuesOf({
      kpis: [kpi({ window: { every: "2d" } }), kpi({ externalId: "b", value: "tw(x)" })],
    });
    expect(error.map((issue) => issue.path)).toEqual(["kpis[0].window.every", "kpis[1].value"]);
  });

  it("still checks well-shaped KPIs when another KPI has a shape error", () => {
    const issues = issuesOf({
      kpis: [kpi({ window: { every: 5 } }), kpi({ externalId: "b", value: "twa(y)" })],
    });
    expect(issues.map((issue) => issue.path)).toEqual(["kpis[0].window.every", "kpis[1].value"]);
    expect(issues[0]!.message).toBe("5 is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo");
  });

  it("cuts a long offending value short in the message", () => {
    const issues = issuesOf({ kpis: [kpi({ window: { every: "x".repeat(5000) } })] });
    expect(issues[0]!.message).toBe(
      `"${"x".repeat(79)}… (5002 characters) is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo`,
    );
  });

  it("a value nested or chained past the limits is a load error naming it, not a RangeError", () => {
    const parentheses = issueOf({ value: `${"(".repeat(5000)}twa(x)${")".repeat(5000)}` });
    expect(parentheses.path).toBe("kpis[0].value");
    expect(parentheses.message).toBe(
      `the expression is 10006 characters long, more than the 10000 allowed; split the calculation or simplify it at column 10001 in "${"(".repeat(80)}…" (10006 characters)`,
    );
    const sum = issueOf({ value: Array.from({ length: 12_000 }, () => "twa(x)").join("+") });
    expect(sum.message).toContain("characters long");
    expect(issueOf({ value: Array.from({ length: 1000 }, () => "twa(x)").join("+") }).message).toMatch(
      /^the expression is 1000 levels deep .* at column 1 in "twa\(x\)\+twa/,
    );
    expect(issueOf({ value: "twa(x) * 1e999" }).message).toBe(
      'the number 1e999 is too large (the largest is about 1.8e308) at column 10 in "twa(x) * 1e999"',
    );
  });

  it("a message without source or path is just the message", () => {
    expect(() => parseKpiConfig(null)).toThrow(/^expected object, got null$/);
  });

  it("names a missing required field", () => {
    expect(issueOf({ value: undefined })).toEqual({
      path: "kpis[0].value",
      message: "missing; expected string",
    });
  });

  it("names the expected type of a wrong field", () => {
    expect(issuesOf({ kpis: 3 })).toEqual([{ path: "kpis", message: "expected array, got number 3" }]);
    expect(issueOf({ inputs: { x: { externalId: "x", step: "yes" } } })).toEqual({
      path: "kpis[0].inputs.x.step",
      message: 'expected boolean, got string "yes"',
    });
    expect(issueOf({ inputs: { x: { externalId: "x", clean: [{ range: 5 }] } } }).message).toBe(
      "expected a list of two numbers, got number 5",
    );
  });

  it("says a missing window.every is required, after the unknown field that explains it", () => {
    expect(issuesOf({ kpis: [kpi({ window: { evry: "1h" } })] })).toEqual([
      { path: "kpis[0].window", message: 'unknown field "evry"; allowed: every, offset, timeZone' },
      { path: "kpis[0].window.every", message: "required; use e.g. 10m, 1h, 1d, 1w, 1mo" },
    ]);
  });

  it("refuses an every too long for CDF's time range as an issue, not a crash", () => {
    expect(issueOf({ window: { every: "99999999999999h" } })).toEqual({
      path: "kpis[0].window.every",
      message:
        '"99999999999999h" is longer than CDF\'s whole time range (1900-01-01 to 2099-12-31, 1753176h); use e.g. 10m, 1h, 1d, 1w, 1mo',
    });
  });

  it("names an unknown field and lists the allowed ones", () => {
    expect(issueOf({ window: { every: "1h", evry: "1h" } })).toEqual({
      path: "kpis[0].window",
      message: 'unknown field "evry"; allowed: every, offset, timeZone',
    });
    expect(issuesOf({ kpis: [], extra: 1, more: 2 })[0]!.message).toBe(
      'unknown fields "extra", "more"; allowed: defaults, kpis',
    );
  });

  it("rejects an input name that the expression could not name", () => {
    expect(issueOf({ inputs: { "flow-in": { externalId: "x" } }, value: "1" })).toEqual({
      path: "kpis[0].inputs.flow-in",
      message:
        'input name "flow-in" is not an identifier; use letters, digits and _ (not first), e.g. flow_in',
    });
  });

  it("rejects windowSeconds as an input name", () => {
    expect(issueOf({ inputs: { windowSeconds: { externalId: "x" } }, value: "windowSeconds" }).message).toBe(
      '"windowSeconds" is reserved for the window length; name the input differently',
    );
  });

  it("rejects calendar multiples other than 1 and suggests fixed hours for days", () => {
    expect(issueOf({ window: { every: "2d" } })).toEqual({
      path: "kpis[0].window.every",
      message:
        '"2d": calendar windows take only 1d, 1w or 1mo; or use 48h for fixed windows aligned to the epoch',
    });
    expect(issueOf({ window: { every: "3mo" } }).message).toBe(
      '"3mo": calendar windows take only 1d, 1w or 1mo',
    );
  });

  it("rejects a zero-length window", () => {
    expect(issueOf({ window: { every: "0m" } }).message).toBe(
      "every must be longer than 0; use e.g. 10m or 1h",
    );
  });

  it("rejects an offset as long as a fixed window", () => {
    expect(issueOf({ window: { every: "1h", offset: "60m" } })).toEqual({
      path: "kpis[0].window.offset",
      message: "offset 60m must be shorter than the window (every: 1h); use 0 up to just under 1h",
    });
  });

  it("rejects calendar offsets of a whole day, week or 28 days", () => {
    expect(issueOf({ window: { every: "1d", offset: "24h" } }).message).toBe(
      "offset 24h must be shorter than 24h for every: 1d",
    );
    expect(issueOf({ window: { every: "1w", offset: "7d" } }).message).toBe(
      "offset 7d must be shorter than 7d for every: 1w",
    );
    expect(issueOf({ window: { every: "1mo", offset: "4w" } }).message).toBe(
      "offset 4w must be shorter than 28d for every: 1mo",
    );
  });

  it("rejects durations in months where a fixed length is needed", () => {
    expect(issueOf({ settle: "1mo" })).toEqual({
      path: "kpis[0].settle",
      message: "settle cannot be in months (they differ in length); use days, e.g. 30d",
    });
    expect(issueOf({ window: { every: "1mo", offset: "1mo" } }).path).toBe("kpis[0].window.offset");
  });

  it("reports a bad defaults.settle once, at defaults", () => {
    const issues = issuesOf({ defaults: { settle: "1mo" }, kpis: [kpi(), kpi({ externalId: "b" })] });
    expect(issues).toEqual([
      {
        path: "defaults.settle",
        message: "settle cannot be in months (they differ in length); use days, e.g. 30d",
      },
    ]);
  });

  it("rejects an unknown time zone in the window or in defaults", () => {
    expect(issueOf({ window: { every: "1d", timeZone: "Europe/Osloo" } })).toEqual({
      path: "kpis[0].window.timeZone",
      message: 'unknown time zone "Europe/Osloo"; use an IANA name such as Europe/Oslo or UTC',
    });
    expect(issuesOf({ defaults: { timeZone: "CEST" }, kpis: [kpi()] })[0]!.path).toBe("defaults.timeZone");
  });

  it("rejects a start that is not a window start and names the nearest ones", () => {
    expect(issueOf({ start: "2024-01-01T00:30:00Z" })).toEqual({
      path: "kpis[0].start",
      message:
        "2024-01-01T00:30:00.000Z is not a window start for every: 1h; the nearest are 2024-01-01T00:00:00.000Z and 2024-01-01T01:00:00.000Z",
    });
  });

  it("shows calendar window starts in the KPI's time zone and explains unquoted YAML dates", () => {
    expect(
      issueOf(
        { window: { every: "1d" }, start: new Date("2024-01-01T00:00:00Z") },
        { timeZone: "Europe/Oslo" },
      ).message,
    ).toBe(
      "2024-01-01T01:00:00+01:00 is not a window start for every: 1d; the nearest are 2024-01-01T00:00:00+01:00 and 2024-01-02T00:00:00+01:00 (an unquoted YAML date is read as UTC midnight; quote it to mean local time in Europe/Oslo)",
    );
  });

  it("rejects a start that is no time", () => {
    expect(issueOf({ start: "yesterday" }).message).toBe(
      '"yesterday" is not an ISO 8601 time; use e.g. 2024-01-01T00:00:00Z',
    );
    expect(issueOf({ start: 1704067200000 }).message).toBe(
      "1704067200000 is not a time; use an ISO 8601 time such as 2024-01-01T00:00:00Z",
    );
    expect(issueOf({ start: new Date(Number.NaN) }).message).toBe(
      "an invalid date is not a time; use an ISO 8601 time such as 2024-01-01T00:00:00Z",
    );
  });

  it("reads an ambiguous local start (the fall-back hour) as its second occurrence", () => {
    const k = one({
      window: { every: "1d", offset: "150m", timeZone: "Europe/Oslo" },
      start: "2024-10-27T02:30:00",
    });
    expect(k.startMs).toBe(Date.UTC(2024, 9, 27, 1, 30));
  });

  it("takes a KPI without start as live from its first run (no startMs, and its own hash)", () => {
    const live = one({ start: undefined });
    expect(live.startMs).toBeUndefined();
    expect(live.configHash).not.toBe(one().configHash);
    expect(one({ start: undefined }, { start: "2024-01-01T00:00:00Z" }).startMs).toBe(Date.UTC(2024, 0, 1));
  });

  it.each([
    ["1899-12-31T23:00:00Z", "1899-12-31T23:00:00.000Z"],
    ["2100-01-01T00:00:00Z", "2100-01-01T00:00:00.000Z"],
    ["+010000-01-01T00:00:00Z", "+010000-01-01T00:00:00.000Z"],
  ])("rejects a start outside CDF's time range: %s", (start, shown) => {
    expect(issueOf({ start })).toEqual({
      path: "kpis[0].start",
      message: `${shown} is outside the time range CDF stores (1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z); give a start in it`,
    });
  });

  it("requires exactly one of externalId and instanceId, for outputs and inputs", () => {
    expect(issueOf({ externalId: undefined }).message).toBe(
      "a KPI needs externalId, or instanceId: { space, externalId }",
    );
    expect(issueOf({ instanceId: { space: "s", externalId: "e" } }).message).toBe(
      "a KPI has both externalId and instanceId; give only one",
    );
    expect(issueOf({ inputs: { x: {} } })).toEqual({
      path: "kpis[0].inputs.x",
      message: 'input "x" needs externalId, or instanceId: { space, externalId }',
    });
  });

  it("rejects an externalId longer than CDF allows", () => {
    expect(issueOf({ externalId: "k".repeat(256) }).message).toBe(
      "externalId is longer than CDF's limit of 255 characters",
    );
  });

  it("rejects duplicate output time series, pointing at the first", () => {
    expect(issuesOf({ kpis: [kpi(), kpi({ value: "mean(x)" })] })).toEqual([
      {
        path: "kpis[1].externalId",
        message: '"kpi:a" is also the output of kpis[0]; each KPI needs its own output time series',
      },
    ]);
  });

  it("reports expression errors with their column and the expression", () => {
    expect(issueOf({ value: "twa(x) / delta(y)" })).toEqual({
      path: "kpis[0].value",
      message: 'unknown name "y"; inputs are "x", and windowSeconds at column 16 in "twa(x) / delta(y)"',
    });
  });

  it.each([
    [
      { clean: [{}] },
      "clean[0]",
      "a clean step needs one of range: [lo, hi], spike: { window, k }, flatline: { duration }",
    ],
    [
      { clean: [{ range: [0, 1], spike: {} }] },
      "clean[0]",
      "a clean step has one kind, found range and spike; write them as separate steps",
    ],
    [{ clean: [{ range: [5, 1] }] }, "clean[0].range", "range [5, 1] has lo > hi; write [1, 5]"],
    [
      { clean: [{ spike: { window: 4 } }] },
      "clean[0].spike.window",
      "window 4 must be odd so the point is in the middle; use 5",
    ],
    [
      { clean: [{ flatline: { duration: "0s" } }] },
      "clean[0].flatline.duration",
      "duration must be longer than 0",
    ],
    [{ maxGap: "0" }, "maxGap", "maxGap must be longer than 0"],
  ])("rejects the input setting %j", (setting, path, message) => {
    expect(issueOf({ inputs: { x: { externalId: "x", ...setting } } })).toEqual({
      path: `kpis[0].inputs.x.${path}`,
      message,
    });
  });
});

describe("config hash", () => {
  const base = one();

  it.each([
    ["the name", { name: "Renamed" }],
    ["the description", { description: "Now described" }],
    ["the unit", { unit: "kW" }],
    ["the settle time", { settle: "10m" }],
    ["the spacing of value", { value: " twa( x ) " }],
    ["redundant parentheses in value", { value: "(twa(x))" }],
    ["the input's name", { inputs: { flow: { externalId: "sensor:x" } }, value: "twa(flow)" }],
    [
      "an input the value does not use",
      { inputs: { x: { externalId: "sensor:x" }, other: { externalId: "y" } } },
    ],
    ["the time zone of a fixed window", { window: { every: "1h", timeZone: "Europe/Oslo" } }],
    ["the output time series", { externalId: "kpi:b" }],
    ["how a duration is spelled", { inputs: { x: { externalId: "sensor:x", maxGap: "1h" } } }],
    ["spike defaults written out", { inputs: { x: { externalId: "sensor:x", clean: [{ spike: {} }] } } }],
  ])("stays the same when only %s changes", (_, overrides) => {
    const reference =
      _ === "how a duration is spelled"
        ? one({ inputs: { x: { externalId: "sensor:x", maxGap: "60m" } } })
        : _ === "spike defaults written out"
          ? one({ inputs: { x: { externalId: "sensor:x", clean: [{ spike: { window: 7, k: 3 } }] } } })
          : base;
    expect(one(overrides).configHash).toBe(reference.configHash);
  });

  it("stays the same however a calendar window's zone is spelled", () => {
    const hashes = ["UTC", "Etc/UTC", "Zulu", "Etc/GMT"].map(
      (timeZone) => one({ window: { every: "1d", timeZone } }).configHash,
    );
    expect(new Set(hashes).size).toBe(1);
  });

  it.each([
    ["the window length", { window: { every: "30m" } }],
    ["the window offset", { window: { every: "1h", offset: "30m" }, start: "2024-01-01T00:30:00Z" }],
    ["the start", { start: "2024-01-01T01:00:00Z" }],
    ["the expression", { value: "mean(x)" }],
    ["an aggregate argument", { value: "timeAbove(x, 1)" }],
    ["the input series", { inputs: { x: { externalId: "sensor:y" } } }],
    ["the cleaning", { inputs: { x: { externalId: "sensor:x", clean: [{ range: [0, 1] }] } } }],
    ["maxGap", { inputs: { x: { externalId: "sensor:x", maxGap: "1h" } } }],
    ["step", { inputs: { x: { externalId: "sensor:x", step: true } } }],
    ["counter", { inputs: { x: { externalId: "sensor:x", counter: true } } }],
    ["uncertain", { inputs: { x: { externalId: "sensor:x", uncertain: true } } }],
  ])("changes when %s changes", (_, overrides) => {
    expect(one(overrides).configHash).not.toBe(base.configHash);
  });

  it("changes with the time zone of a calendar window", () => {
    const utc = one({ window: { every: "1d" } });
    const oslo = one({ window: { every: "1d", timeZone: "Europe/Oslo" }, start: "2024-01-01" });
    const osloSameStart = one({ window: { every: "1d", timeZone: "Europe/London" }, start: "2024-01-01" });
    expect(oslo.configHash).not.toBe(utc.configHash);
    expect(osloSameStart.configHash).not.toBe(utc.configHash);
  });

  it("changes when inputs swap roles in the expression", () => {
    const inputs = { a: { externalId: "A" }, b: { externalId: "B" } };
    expect(one({ inputs, value: "twa(a) / twa(b)" }).configHash).not.toBe(
      one({ inputs, value: "twa(b) / twa(a)" }).configHash,
    );
  });

  it("does not depend on the order of inputs in the file", () => {
    const value = "twa(a) - twa(b)";
    const ab = one({ inputs: { a: { externalId: "A" }, b: { externalId: "B" } }, value });
    const ba = one({ inputs: { b: { externalId: "B" }, a: { externalId: "A" } }, value });
    expect(ab.configHash).toBe(ba.configHash);
  });
});

describe("JSON Schema", () => {
  it("the committed schema/kpis.schema.json is up to date (regenerate: tsx scripts/generate-schema.ts)", () => {
    const committed = readFileSync(new URL("../schema/kpis.schema.json", import.meta.url), "utf8");
    expect(committed).toBe(kpiConfigJsonSchemaText());
  });

  it("describes the fields editors should complete", () => {
    const schema = kpiConfigJsonSchema() as {
      properties: { kpis: { items: { properties: Record<string, unknown>; required: string[] } } };
    };
    const kpiSchema = schema.properties.kpis.items;
    expect(Object.keys(kpiSchema.properties)).toEqual(
      expect.arrayContaining(["externalId", "instanceId", "window", "settle", "start", "inputs", "value"]),
    );
    expect(kpiSchema.required).toEqual(["window", "inputs", "value"]);
    expect(JSON.stringify(schema)).toContain('"pattern":"^(0|[0-9]+(s|m|h|d|w|mo))$"');
  });
});
