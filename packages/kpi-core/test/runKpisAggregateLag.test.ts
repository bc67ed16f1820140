import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeKpis } from "../src/engine.js";
import { type InputSeries, STATUS_BAD, type WindowSpec } from "../src/model.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { PointColumnsBuilder } from "../src/points.js";
import { AGGREGATE_SETTLE_MS, runKpis } from "../src/runKpis.js";
import { InMemoryDatapointStore, inMemoryRunPorts } from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";
import { AggregatingStore } from "./aggregatingStore.js";

// CDF's aggregates may lag a fresh insert (cognite-sdk-python issue 421). The promise: a run
// never writes a window from aggregates that may miss a change it consumed, so the output equals
// the raw truth as long as the aggregates catch up before the next run (a lag shorter than the
// runs' spacing); the test's aggregates miss everything that landed since the last run.

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = "kpi-fn@1";
const KPIS = parseKpiConfig({
  defaults: { start: "2024-01-01T00:00:00Z", settle: "1m" },
  kpis: [
    {
      externalId: "kpi:count",
      window: { every: "10m" },
      inputs: { x: { externalId: "x" } },
      value: "count(x)",
    },
    {
      externalId: "kpi:range",
      window: { every: "1h" },
      inputs: { x: { externalId: "x" } },
      value: "max(x) - min(x)",
    },
  ],
});
const GRIDS = new Map<string, WindowSpec>([
  ["10m/UTC", { kind: "fixed", everyMs: 10 * M, offsetMs: 0 }],
  ["1h/UTC", { kind: "fixed", everyMs: H, offsetMs: 0 }],
]);

/** `source` holds the points; its aggregates come from `stale`, which sees only some of them. */
function world() {
  const stale = new InMemoryDatapointStore();
  const source = new AggregatingStore(GRIDS, stale);
  source.insert({ externalId: "x" }, []);
  stale.insert({ externalId: "x" }, []);
  const ports = inMemoryRunPorts(source, { self: SELF, now: T0, partitions: 2 });
  const clock = ports.clock;
  const opts = { self: SELF, subscription: "s", budgetMs: 60_000, batchWindows: 50 };
  return { source, stale, clock, run: () => runKpis(KPIS, ports, opts) };
}

function truth(points: ReturnType<InMemoryDatapointStore["points"]>, now: number) {
  const b = new PointColumnsBuilder();
  for (const p of points) b.append(p.timestamp, p.value, p.status);
  const series = new Map<string, InputSeries>([["x", { points: b.build(), isStep: false }]]);
  const results = computeKpis(
    KPIS.map((kpi) => ({ kpi, windows: windowsBetween(kpi.window, kpi.startMs!, now - kpi.settleMs) })),
    series,
  );
  return KPIS.map((kpi, i) => ({
    kpi: kpi.key,
    points: results[i]!.map((d) =>
      d.status === "Good"
        ? { timestamp: d.timestamp, value: d.value, status: 0 }
        : { timestamp: d.timestamp, value: Number.NaN, status: STATUS_BAD },
    ),
  }));
}

async function catchUp(w: ReturnType<typeof world>): Promise<void> {
  await w.stale.delete({ externalId: "x" }, { start: T0 - 365 * 24 * H, end: T0 + 365 * 24 * H });
  w.stale.insert({ externalId: "x" }, w.source.points({ externalId: "x" }));
}

describe("runKpis with aggregates that lag inserts", () => {
  it("still pushes settled history down: a catch-up reads aggregates for windows closed over an hour ago", async () => {
    const w = world();
    const points = Array.from({ length: 6 * 24 }, (_, k) => ({ timestamp: T0 + k * 10 * M, value: k % 7 }));
    w.source.insert({ externalId: "x" }, points);
    w.stale.insert({ externalId: "x" }, points);
    w.clock.set(T0 + 24 * H);
    await w.run();
    const asked = w.source.aggregateRequests.flat();
    expect(asked.length).toBeGreaterThan(0);
    // Nothing that closed within the settle time came from aggregates.
    expect(Math.max(...asked.map((r) => r.end))).toBeLessThanOrEqual(T0 + 24 * H - AGGREGATE_SETTLE_MS);
    const expected = truth(w.source.points({ externalId: "x" }), T0 + 24 * H);
    for (const { kpi, points: want } of expected) {
      expect(w.source.points(KPIS.find((k) => k.key === kpi)!.series)).toEqual(want);
    }
  });

  it("any late points and deletions, with aggregates missing all that landed since the last run: every window equals the raw truth", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            atH: fc.integer({ min: 2, max: 40 }),
            points: fc.array(
              fc.record({
                minute: fc.integer({ min: 0, max: 40 * 60 - 1 }),
                value: fc.integer({ min: -5, max: 5 }),
              }),
              { maxLength: 6 },
            ),
            deleteFromMinute: fc.option(fc.integer({ min: 0, max: 40 * 60 - 30 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (events) => {
          const w = world();
          const base = Array.from({ length: 6 * 48 }, (_, k) => ({
            timestamp: T0 + k * 10 * M,
            value: k % 5,
          }));
          w.source.insert({ externalId: "x" }, base);
          w.stale.insert({ externalId: "x" }, base);
          // Runs every two hours; before some of them, late points and deletions land in the
          // source while the aggregates (the stale store) never see them.
          const sorted = [...events].sort((a, b) => a.atH - b.atH);
          let e = 0;
          for (let h = 2; h <= 44; h += 2) {
            for (; e < sorted.length && sorted[e]!.atH <= h; e++) {
              const ev = sorted[e]!;
              w.source.insert(
                { externalId: "x" },
                ev.points.map((p) => ({ timestamp: T0 + p.minute * M + 7_000, value: p.value })),
              );
              if (ev.deleteFromMinute !== undefined) {
                const start = T0 + ev.deleteFromMinute * M;
                await w.source.delete({ externalId: "x" }, { start, end: start + 30 * M });
              }
            }
            w.clock.set(T0 + h * H);
            await w.run();
            // The aggregates catch up between runs: a lag shorter than the runs' spacing.
            await catchUp(w);
          }
          const now = T0 + 44 * H;
          for (const { kpi, points: want } of truth(w.source.points({ externalId: "x" }), now)) {
            expect(w.source.points(KPIS.find((k) => k.key === kpi)!.series)).toEqual(want);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
