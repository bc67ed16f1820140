import type { CdfConnection } from "@kpi-pipeline/cdf";
import { type KpiDatapoint, STATUS_BAD } from "@kpi-pipeline/kpi-core";
import { InMemoryDatapointStore } from "@kpi-pipeline/kpi-core/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { DryRunOutput, dryRunPorts } from "../src/dryRunPorts.js";

// A dry run's comparison: for any stored series and any datapoints it would write, each datapoint
// is new (no stored one at its timestamp), the same, or differing, and nothing is written.

const SERIES = { externalId: "kpi:x" };
const stored = fc.uniqueArray(
  fc.record({
    timestamp: fc.integer({ min: 0, max: 200 }),
    value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null)),
  }),
  { selector: (p) => p.timestamp, maxLength: 60 },
);
const would = fc
  .uniqueArray(
    fc.record({
      timestamp: fc.integer({ min: 0, max: 200 }),
      value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null)),
    }),
    { selector: (p) => p.timestamp, minLength: 1, maxLength: 60 },
  )
  .map((points) =>
    points
      .sort((a, b) => a.timestamp - b.timestamp)
      .map(
        ({ timestamp, value }): KpiDatapoint =>
          value === null
            ? { timestamp, value: null, status: "Bad", reason: "noData" }
            : { timestamp, value, status: "Good" },
      ),
  );

it("classifies every datapoint as new, same or differing against what is stored, writing nothing", async () => {
  await fc.assert(
    fc.asyncProperty(stored, would, async (points, datapoints) => {
      const store = new InMemoryDatapointStore();
      store.insert(
        SERIES,
        points.map((p) =>
          p.value === null ? { timestamp: p.timestamp, value: null, status: STATUS_BAD } : p,
        ),
      );
      const before = JSON.stringify(store.points(SERIES));
      const output = new DryRunOutput(store, store);
      await output.latest([SERIES]);
      await output.write([{ series: SERIES, datapoints }]);
      const byTime = new Map(points.map((p) => [p.timestamp, p.value]));
      const expected = { new: 0, differing: 0 };
      for (const d of datapoints) {
        if (!byTime.has(d.timestamp)) expected.new++;
        else if (byTime.get(d.timestamp) !== d.value) expected.differing++;
      }
      const counted = output.bySeries.get("kpi:x");
      expect(counted).toEqual(
        points.length === 0
          ? { series: "kpi:x", points: datapoints.length, new: datapoints.length, differing: 0 }
          : { series: "kpi:x", points: datapoints.length, ...expected },
      );
      expect(output.differences.length).toBe(Math.min(20, counted!.differing));
      expect(JSON.stringify(store.points(SERIES))).toBe(before);
    }),
  );
});

it("a dry run reads a pointer row that does not parse as no generation, and fails on a failed read", async () => {
  const answers: Record<string, () => Promise<unknown>> = {
    malformed: async () => ({
      key: "active-version",
      columns: { document: { epoch: "1" } },
      lastUpdatedTime: 5,
    }),
    failing: async () => {
      throw new Error("the connection dropped");
    },
  };
  const generationOf = (answer: () => Promise<unknown>) => {
    const cdf = {
      call: (_: string, run: (c: unknown) => Promise<unknown>) => run({ raw: { retrieveRow: answer } }),
    };
    const { ports } = dryRunPorts(cdf as unknown as CdfConnection, "kpi-fn@1", { now: () => 0 });
    return ports.pointer.active();
  };
  expect(await generationOf(answers.malformed!)).toEqual({ version: "kpi-fn@1", generation: "" });
  await expect(generationOf(answers.failing!)).rejects.toThrow("the connection dropped");
});
