import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type SeriesRef, STATUS_BAD } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { ensureSubscriptions } from "../src/ensureSubscriptions.js";
import { readSubscriptionChanges, type SubscriptionChanges } from "../src/readSubscriptionChanges.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";
import { seedSeries } from "./seedSeries.js";

const BASE = Date.parse("2024-06-01T00:00:00Z");
let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "subscription-test", clock: "2024-06-01T00:00:00Z" }, (suite) => {
  ({ t, cdf } = suite);
});

async function members(externalId: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await cdf.get<{
      items: Array<{ externalId?: string; instanceId?: { externalId: string } }>;
      nextCursor?: string;
    }>("/timeseries/subscriptions/members", { externalId, limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.map((m) => m.instanceId?.externalId ?? m.externalId!));
    cursor = page.nextCursor;
  } while (cursor);
  return out.sort();
}

const refs = (names: string[]): SeriesRef[] =>
  names.map((n) => (n.startsWith("i") ? { instanceId: { space: "sp", externalId: n } } : { externalId: n }));

function insert(
  externalId: string,
  points: Array<{ timestamp: number; value?: number; status?: { code: number } }>,
) {
  return t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data`, {
    data: { items: [{ externalId, datapoints: points }] },
  });
}

function changes(result: Awaited<ReturnType<typeof readSubscriptionChanges>>): SubscriptionChanges {
  if (result.kind !== "changes") throw new Error(`expected changes, got ${result.kind}: ${result.message}`);
  return result;
}

describe("ensureSubscriptions", () => {
  it("spreads series over subscriptions of at most maxMembers, keeps each series where it is, and keeps series no longer wanted (another version may still read them)", async () => {
    await t.emulator.control.reset();
    const names = [
      ...Array.from({ length: 150 }, (_, i) => `e${i}`),
      ...Array.from({ length: 80 }, (_, i) => `i${i}`),
    ];
    await seedSeries(
      t,
      refs(names).map((ref) => ({ ref, points: [] })),
    );
    const first = await ensureSubscriptions(cdf, "kpi-inputs", refs(names), {
      partitionCount: 2,
      maxMembers: 100,
    });
    expect(first.map((p) => [p.externalId, p.partitionCount, p.members.length])).toEqual([
      ["kpi-inputs-0", 2, 100],
      ["kpi-inputs-1", 2, 100],
      ["kpi-inputs-2", 2, 30],
    ]);
    const where = (name: string, plans: typeof first) =>
      plans.find((p) =>
        p.members.some((m) => ("externalId" in m ? m.externalId : m.instanceId.externalId) === name),
      )?.externalId;
    for (const plan of first) {
      expect(await members(plan.externalId)).toEqual(
        plan.members.map((m) => ("externalId" in m ? m.externalId : m.instanceId.externalId)).sort(),
      );
    }
    // Drop e0-e19 (in kpi-inputs-0), add 30 new ones: they fill the room left, in order, and
    // e0-e19 stay members: a version beside this one may still read them.
    const extra = Array.from({ length: 30 }, (_, i) => `n${i}`);
    await seedSeries(
      t,
      refs(extra).map((ref) => ({ ref, points: [] })),
    );
    const kept = names.slice(20);
    const second = await ensureSubscriptions(cdf, "kpi-inputs", refs([...kept, ...extra]), {
      maxMembers: 100,
    });
    for (const name of kept) expect(where(name, second)).toBe(where(name, first));
    expect(second.map((p) => p.members.length)).toEqual([100, 100, 60]);
    expect(await members("kpi-inputs-0")).toContain("e0");
    expect(second.flatMap((p) => p.members)).toHaveLength(names.length + extra.length);
  });
});

describe("ensureSubscriptions' round trips", () => {
  it("asks whether the next subscription exists while it lists this one's members", async () => {
    const issued: string[] = [];
    const cdf = {
      post: async (path: string, body: { items: Array<{ externalId: string }> }) => {
        const id = body.items[0]!.externalId;
        issued.push(`${path} ${id}`);
        return path.endsWith("/byids") && id === "q-0"
          ? { items: [{ externalId: id, partitionCount: 1 }] }
          : {};
      },
      get: async (path: string, params: { externalId: string }) => {
        issued.push(`${path} ${params.externalId}`);
        return { items: [{ externalId: "a" }] };
      },
    } as unknown as CdfConnection;
    const plans = await ensureSubscriptions(cdf, "q", [{ externalId: "a" }]);
    expect(plans).toEqual([{ externalId: "q-0", partitionCount: 1, members: [{ externalId: "a" }] }]);
    // q-1 is asked for before q-0's members come back, not after: one round trip less per call.
    expect(issued).toEqual([
      "/timeseries/subscriptions/byids q-0",
      "/timeseries/subscriptions/byids q-1",
      "/timeseries/subscriptions/members q-0",
    ]);
  });
});

describe("readSubscriptionChanges", () => {
  it("returns each series' upserts (Bad ones too) and deleted ranges in order, with cursors that move on", async () => {
    await t.emulator.control.reset();
    await seedSeries(
      t,
      refs(["a", "b", "c"]).map((ref) => ({ ref, points: [] })),
    );
    const [sub] = await ensureSubscriptions(cdf, "changes", refs(["a", "b", "c"]), { partitionCount: 2 });
    const start = changes(await readSubscriptionChanges(cdf, sub!, [], { startWithoutCursor: "now" }));
    expect(start.series).toEqual([]);
    expect(start.cursors.map((c) => c.partition)).toEqual([0, 1]);

    await insert("a", [
      { timestamp: BASE, value: 1 },
      { timestamp: BASE + 1, status: { code: STATUS_BAD } },
    ]);
    await insert("b", [{ timestamp: BASE + 5, value: 2 }]);
    await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data/delete`, {
      data: { items: [{ externalId: "a", inclusiveBegin: BASE - 100, exclusiveEnd: BASE }] },
    });
    await insert("a", [{ timestamp: BASE + 2, value: 3 }]);

    const read = changes(await readSubscriptionChanges(cdf, sub!, start.cursors));
    const summary = read.series.map((s) => ({
      series: s.timeSeries.externalId,
      changes: s.changes.map((c) =>
        c.kind === "delete"
          ? { delete: [c.from - BASE, c.to - BASE] }
          : {
              upsert: Array.from(c.points.timestamps, (ts, i) => [
                ts - BASE,
                c.points.values[i],
                c.points.statuses[i],
              ]),
            },
      ),
    }));
    expect(summary).toEqual([
      {
        series: "a",
        changes: [
          {
            upsert: [
              [0, 1, 0],
              [1, Number.NaN, STATUS_BAD],
            ],
          },
          { delete: [-100, 0] },
          { upsert: [[2, 3, 0]] },
        ],
      },
      { series: "b", changes: [{ upsert: [[5, 2, 0]] }] },
    ]);
    expect(read.hasMore).toBe(false);
    // At least once: the same cursors give the same changes; the new ones give nothing new.
    expect(changes(await readSubscriptionChanges(cdf, sub!, start.cursors)).series).toEqual(read.series);
    expect(changes(await readSubscriptionChanges(cdf, sub!, read.cursors)).series).toEqual([]);
  });

  it("stops after maxPages with hasMore, and the cursors continue where it stopped", async () => {
    await t.emulator.control.reset();
    await seedSeries(
      t,
      refs(["p"]).map((ref) => ({ ref, points: [] })),
    );
    const [sub] = await ensureSubscriptions(cdf, "paged", refs(["p"]));
    const start = changes(await readSubscriptionChanges(cdf, sub!, [], { startWithoutCursor: "now" }));
    for (let i = 0; i < 5; i++) await insert("p", [{ timestamp: BASE + i, value: i }]);
    const first = changes(
      await readSubscriptionChanges(cdf, sub!, start.cursors, { pageSize: 1, maxPages: 2 }),
    );
    expect(first.hasMore).toBe(true);
    const rest = changes(await readSubscriptionChanges(cdf, sub!, first.cursors, { pageSize: 1 }));
    expect(rest.hasMore).toBe(false);
    const values = [first, rest].flatMap((r) =>
      r.series.flatMap((s) =>
        s.changes.flatMap((c) => (c.kind === "upsert" ? Array.from(c.points.values) : [])),
      ),
    );
    expect(values).toEqual([0, 1, 2, 3, 4]);
  });

  it("reports a cursor older than CDF's 7-day retention as retentionLost", async () => {
    await t.emulator.control.reset();
    await seedSeries(
      t,
      refs(["r"]).map((ref) => ({ ref, points: [] })),
    );
    const [sub] = await ensureSubscriptions(cdf, "retention", refs(["r"]));
    const start = changes(await readSubscriptionChanges(cdf, sub!, [], { startWithoutCursor: "now" }));
    await insert("r", [{ timestamp: BASE, value: 1 }]);
    await t.emulator.control.advanceClock("8d");
    await insert("r", [{ timestamp: BASE + 1, value: 2 }]);
    const lost = await readSubscriptionChanges(cdf, sub!, start.cursors);
    expect(lost).toMatchObject({ kind: "retentionLost", subscription: "retention-0" });
    expect(lost.kind === "retentionLost" && lost.message).toMatch(
      /^POST \/timeseries\/subscriptions\/data\/list failed with HTTP 400/,
    );
  });

  it("refuses a partition the subscription does not have", async () => {
    await expect(
      readSubscriptionChanges(cdf, { externalId: "x", partitionCount: 2 }, [{ partition: 2, cursor: "c" }]),
    ).rejects.toThrow("readSubscriptionChanges: partition 2 is not one of x's 0-1.");
  });
});
