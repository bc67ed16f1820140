import { describe, expect, it } from "vitest";
import { parseKpiConfig } from "../src/parseKpiConfig.js";
import type { StateSave, StateStore } from "../src/ports.js";
import { runKpis } from "../src/runKpis.js";
import {
  FixedClock,
  InMemoryChangeSource,
  InMemoryDatapointStore,
  InMemoryStateStore,
  InMemoryVersionPointer,
} from "../src/testing/index.js";

// Scheduled calls overlap (late ticks, duplicated ticks), and CDF's stores have no
// compare-and-set: whatever order two runs' saves land in, no change may be lost between the
// cursor one run stores and the pending work the other one recorded.

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = "f@1";
const KPIS = parseKpiConfig({
  defaults: { start: "2024-01-01T00:00:00Z", settle: "1m" },
  kpis: [
    { externalId: "kpi:max", window: { every: "10m" }, inputs: { x: { externalId: "x" } }, value: "max(x)" },
  ],
});

/** A state store whose saves each wait until the test lets them land. */
function gated(shared: StateStore) {
  const reached: Array<Promise<void>> = [];
  const arrive: Array<() => void> = [];
  const release: Array<() => void> = [];
  for (let i = 0; i < 8; i++) reached.push(new Promise<void>((r) => arrive.push(r)));
  let n = 0;
  const store: StateStore = {
    load: (keys, subscription) => shared.load(keys, subscription),
    save: async (entries: StateSave) => {
      const i = n++;
      const landed = new Promise<void>((r) => {
        release[i] = r;
      });
      arrive[i]!();
      await landed;
      await shared.save(entries);
    },
  };
  return {
    store,
    reached: (i: number) => reached[i]!,
    land: (i: number) => release[i]!(),
  };
}

describe("overlapping runs", () => {
  it("keep each other's pending work whatever order their saves land in", async () => {
    // Every order of the two runs' first two saves (state+pending, then cursors) is tried.
    const orders = [
      ["B0", "A0", "A1", "B1"],
      ["B0", "A0", "B1", "A1"],
      ["A0", "B0", "A1", "B1"],
      ["A0", "B0", "B1", "A1"],
      ["B0", "B1", "A0", "A1"],
      ["A0", "A1", "B0", "B1"],
    ];
    for (const order of orders) {
      const source = new InMemoryDatapointStore();
      source.insert(
        { externalId: "x" },
        Array.from({ length: 12 }, (_, k) => ({ timestamp: T0 + k * 10 * M, value: 1 })),
      );
      const changes = new InMemoryChangeSource(source, { partitions: 1 });
      const shared = new InMemoryStateStore();
      const clock = new FixedClock(T0 + 2 * H);
      const ports = (state: StateStore) => ({
        source,
        output: source,
        pointer: new InMemoryVersionPointer(SELF),
        changes,
        state,
        clock,
      });
      const opts = (budgetMs: number, runId: string) => ({ self: SELF, subscription: "s", budgetMs, runId });
      await runKpis(KPIS, ports(shared), opts(60_000, "r0"));

      source.insert({ externalId: "x" }, [{ timestamp: T0 + 30 * M + 1, value: 50 }]); // X
      const a = gated(shared);
      const runA = runKpis(KPIS, ports(a.store), opts(60_000, "A"));
      await a.reached(0); // A polled X and wrote its window
      source.insert({ externalId: "x" }, [{ timestamp: T0 + 40 * M + 1, value: 99 }]); // Y
      const b = gated(shared);
      // B is out of budget at once: it polls X and Y and leaves both pending.
      const runB = runKpis(KPIS, ports(b.store), opts(0, "B"));
      await b.reached(0);
      for (const step of order) {
        const run = step[0] === "A" ? a : b;
        const i = Number(step[1]);
        await run.reached(i);
        run.land(i);
      }
      // Any later saves (removing loaded records) land as they come.
      for (let i = 2; i < 4; i++) {
        void a.reached(i).then(() => a.land(i));
        void b.reached(i).then(() => b.land(i));
      }
      await Promise.all([runA, runB]);

      clock.set(T0 + 2 * H + 10 * M);
      await runKpis(KPIS, ports(shared), opts(60_000, "r2"));
      const at = (t: number) =>
        source.points({ externalId: "kpi:max" }).find((p) => p.timestamp === t)?.value;
      expect([at(T0 + 30 * M), at(T0 + 40 * M)], order.join(" ")).toEqual([50, 99]);
    }
  });
});
