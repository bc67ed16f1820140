import { describe, expect, it } from "vitest";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import { runKpis } from "../src/runKpis.js";
import { InMemoryDatapointStore, inMemoryRunPorts } from "../src/testing/index.js";

const S = 1000;
const T0 = Date.UTC(2024, 0, 1);

describe("runKpis with very many changed points", () => {
  it("takes one change of 300,000 late points (a bulk load into an input) and recomputes the windows they fall in", async () => {
    const kpis = parseKpiConfig({
      defaults: { start: "2024-01-01T00:00:00Z", settle: "1m" },
      kpis: [
        {
          externalId: "kpi:count",
          window: { every: "1d" },
          inputs: { x: { externalId: "x" } },
          value: "count(x)",
        },
      ],
    });
    const store = new InMemoryDatapointStore();
    store.insert({ externalId: "x" }, [{ timestamp: T0, value: 1 }]);
    const day = 86_400;
    const now = T0 + 5 * day * S;
    const ports = inMemoryRunPorts(store, { self: "fn@1", now });
    const opts = { self: "fn@1", subscription: "s", budgetMs: 600_000 };
    const first = await runKpis(kpis, ports, opts);
    expect(first.kpis[0]!.summary.error).toBeUndefined();
    // One insert of 300,000 one-second points over days 1-4: one change from the subscription.
    const n = 300_000;
    store.insert(
      { externalId: "x" },
      Array.from({ length: n }, (_, i) => ({ timestamp: T0 + day * S + i * S, value: 1 })),
    );
    ports.clock.set(now + 60 * S);
    const report = await runKpis(kpis, ports, opts);
    expect(report.kpis[0]!.summary.error).toBeUndefined();
    const written = await store.read([{ series: { externalId: "kpi:count" }, start: T0, end: now }]);
    const counts = Array.from(written[0]!.points.values.subarray(0, written[0]!.points.length));
    // Day 0 has its one point; days 1, 2 and 3 are full (86,400 each), day 4 holds the remaining 40,800.
    expect(counts).toEqual([1, 86_400, 86_400, 86_400, 40_800]);
  });
});
