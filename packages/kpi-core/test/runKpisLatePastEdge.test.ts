import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeWindows } from "../src/engine.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { PointColumnsBuilder } from "../src/points.js";
import { type RunPorts, runKpis } from "../src/runKpis.js";
import {
  FixedClock,
  InMemoryChangeSource,
  InMemoryDatapointStore,
  InMemoryStateStore,
  InMemoryVersionPointer,
} from "../src/testing/index.js";
import { windowsBetween } from "../src/window.js";
import { held, heldCursors, heldOutput } from "./heldPorts.js";

// The race of a late point past the closed edge of the run that polls it (root README,
// "Overlapping runs and late data"), in a fixed order of events with everything else random: run
// Y, its clock ahead, reads and is held before its write; late points land; run X (clock behind)
// polls them and finishes all but its cursor; Y writes; X's cursor lands last. Random schedulers
// rarely find this order, so it is fixed here (a review helper's suggestion): with the changed
// spans clipped to X's closed edge, this fails within a few cases.

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = "f@1";

describe("a late point past the closed edge of the run that polled it", () => {
  it("after Y (clock ahead) wrote from older input and X's cursor landed last, one more run leaves every window exact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          value: fc.constantFrom("max(x)", "twa(x)", "count(x)", "mean(x)", "coverage(x)", "min(x)"),
          step: fc.boolean(),
          everyMin: fc.constantFrom(1, 5, 10),
          settleSec: fc.constantFrom(0, 30, 60, 240),
          leadSec: fc.integer({ min: 0, max: 15 * 60 }),
          // Seconds before 02:00 (negative: after it) of extra base points and of the late ones.
          base: fc.array(fc.integer({ min: -60, max: 20 * 60 }), { maxLength: 3 }),
          late: fc.array(
            fc.record({
              sec: fc.integer({ min: -15 * 60, max: 20 * 60 }),
              value: fc.integer({ min: 0, max: 99 }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          xBudget: fc.constantFrom(0, 60_000),
        }),
        async (c) => {
          const kpis = parseKpiConfig({
            defaults: { start: "2024-01-01T00:00:00Z", settle: `${c.settleSec}s` },
            kpis: [
              {
                externalId: "kpi",
                window: { every: `${c.everyMin}m` },
                inputs: { x: { externalId: "x", ...(c.step ? { step: true } : {}) } },
                value: c.value,
              },
            ],
          });
          const store = new InMemoryDatapointStore();
          const edge = T0 + 2 * H;
          store.insert(
            { externalId: "x" },
            Array.from({ length: 120 }, (_, k) => ({ timestamp: T0 + k * M, value: 1 })),
          );
          for (const s of c.base)
            store.insert({ externalId: "x" }, [{ timestamp: edge - s * 1000 + 3, value: 2 }]);
          const changes = new InMemoryChangeSource(store, { partitions: 1 });
          const state = new InMemoryStateStore();
          const pointer = new InMemoryVersionPointer(SELF);
          const clockX = new FixedClock(edge);
          const clockY = new FixedClock(edge + c.leadSec * 1000);
          const plain = (clock: FixedClock): RunPorts => ({
            source: store,
            output: store,
            pointer,
            changes,
            state,
            clock,
          });
          const opts = (runId: string, budgetMs = 60_000) => ({
            self: SELF,
            subscription: "s",
            budgetMs,
            runId,
          });
          await runKpis(kpis, plain(clockX), opts("r0"));

          const yWrite = held();
          const runY = runKpis(
            kpis,
            {
              ...plain(clockY),
              output: heldOutput(store, yWrite),
            },
            opts("Y"),
          );
          // Y may have nothing to write (no window closed for it); then it just runs on.
          await Promise.race([yWrite.arrival, runY]);
          for (const p of c.late)
            store.insert({ externalId: "x" }, [{ timestamp: edge - p.sec * 1000 + 7, value: p.value }]);
          const xCursor = held();
          const runX = runKpis(
            kpis,
            {
              ...plain(clockX),
              state: heldCursors(state, xCursor),
            },
            opts("X", c.xBudget),
          );
          await Promise.race([xCursor.arrival, runX]);
          yWrite.release();
          await runY;
          xCursor.release();
          await runX;

          const final = new FixedClock(edge + c.leadSec * 1000 + 30 * M);
          await runKpis(kpis, plain(final), opts("C"));
          const kpi = kpis[0]!;
          const windows = windowsBetween(kpi.window, T0, final.now() - kpi.settleMs);
          const b = new PointColumnsBuilder();
          for (const p of store.points({ externalId: "x" })) b.append(p.timestamp, p.value, p.status);
          const want = computeWindows(kpi, windows, new Map([["x", { points: b.build(), isStep: false }]]));
          const got = store.points(kpi.series).filter((p) => p.timestamp < windows.at(-1)!.end);
          // A no-value window: a Bad datapoint, which the store keeps as NaN and the engine says as null.
          const value = (v: number | null | undefined) =>
            v === null || v === undefined || Number.isNaN(v) ? null : v;
          expect(got.map((p) => [(p.timestamp - T0) / 1000, value(p.value)])).toEqual(
            want.map((d) => [(d.timestamp - T0) / 1000, value(d.value)]),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
