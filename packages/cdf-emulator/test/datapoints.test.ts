import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import type { KnownSpecDeviation } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const HOUR = 3_600_000;
const BAD = 2147483648;
const UNCERTAIN = 1073741824;

let emulator: Emulator;
let client: CogniteClient;
const validationErrors = [
  "/timeseries/data",
  "/timeseries/data/list",
  "/timeseries/data/latest",
  "/timeseries/data/delete",
].map((path) => ({
  operation: `POST ${path}`,
  direction: "response" as const,
  error: /^response 400 body \/error: missing required property "missing"$/,
  reason:
    "openapi.json gives every 400 of the datapoint endpoints the NotFoundResponse shape (missing required); CDF's validation errors (limits, types, ranges) carry only {code, message}",
}));
const knownDeviations: KnownSpecDeviation[] = [
  ...validationErrors,
  {
    operation: "POST /timeseries/data/latest",
    direction: "request",
    error: /^request body \/items\/\d+\/before: must be string$/,
    reason:
      "openapi.json types `before` as a string only; @cognite/sdk 10.5.0 sends ms numbers (its LatestDataBeforeRequest allows number | Date | string), which CDF accepts",
  },
];

emulatorSuite(
  { project: "dp-test", clock: "2024-06-01T00:00:00Z", contract: { knownDeviations } },
  (started) => {
    ({ emulator, client } = started);
  },
);

interface ListedItem {
  id: number;
  externalId?: string;
  isString: boolean;
  isStep: boolean;
  type: string;
  datapoints: Array<Record<string, unknown> & { timestamp: number }>;
  nextCursor?: string;
}

async function list(body: Record<string, unknown>): Promise<ListedItem[]> {
  const res = await client.post<{ items: ListedItem[] }>(
    `/api/v1/projects/${emulator.project}/timeseries/data/list`,
    {
      data: body,
    },
  );
  return res.data.items;
}

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await client.post(`/api/v1/projects/${emulator.project}${path}`, { data: body });
  return res.data;
}

async function series(
  externalId: string,
  extra: { isString?: boolean; isStep?: boolean } = {},
): Promise<number> {
  const [ts] = await client.timeseries.create([{ externalId, ...extra }]);
  return ts!.id;
}

const points = (...pairs: Array<[number, number | string]>) =>
  pairs.map(([timestamp, value]) => ({ timestamp, value }));

describe("insert and read back", () => {
  it("returns inserted points in time order with the series' identity and type", async () => {
    const id = await series("flow");
    await client.datapoints.insert([
      { externalId: "flow", datapoints: points([T0 + 2000, 2], [T0, 0], [T0 + 1000, 1.5]) },
    ]);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + HOUR });
    expect(item).toEqual({
      id,
      externalId: "flow",
      isString: false,
      isStep: false,
      type: "numeric",
      datapoints: [
        { timestamp: T0, value: 0 },
        { timestamp: T0 + 1000, value: 1.5 },
        { timestamp: T0 + 2000, value: 2 },
      ],
    });
  });

  it("the SDK's retrieve gets Date timestamps and numbers back", async () => {
    await series("flow");
    await client.datapoints.insert([
      { externalId: "flow", datapoints: [{ timestamp: new Date(T0), value: 7 }] },
    ]);
    const [item] = await client.datapoints.retrieve({
      items: [{ externalId: "flow" }],
      start: T0,
      end: T0 + 1,
    });
    expect(item!.datapoints).toEqual([{ timestamp: new Date(T0), value: 7 }]);
  });

  it("a point at an existing timestamp overwrites it", async () => {
    await series("flow");
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0, 1], [T0 + 1, 2]) }]);
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0, 10]) }]);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toEqual([
      { timestamp: T0, value: 10 },
      { timestamp: T0 + 1, value: 2 },
    ]);
  });

  it("a late batch is merged between stored points", async () => {
    await series("flow");
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0 + 10, 1], [T0 + 30, 3]) }]);
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0 + 20, 2], [T0, 0]) }]);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 100 });
    expect(item!.datapoints.map((d) => d.value)).toEqual([0, 1, 2, 3]);
  });

  it("string series store and return strings", async () => {
    await series("state", { isString: true });
    await client.datapoints.insert([
      { externalId: "state", datapoints: points([T0, "running"], [T0 + 1, "stopped"]) },
    ]);
    const [item] = await list({ items: [{ externalId: "state" }], start: T0, end: T0 + 10 });
    expect(item).toMatchObject({ isString: true, type: "string" });
    expect(item!.datapoints).toEqual([
      { timestamp: T0, value: "running" },
      { timestamp: T0 + 1, value: "stopped" },
    ]);
  });

  it("a data-model time series is addressed by instanceId", async () => {
    const instanceId = { space: "plant", externalId: "pump-01:flow" };
    const [ts] = emulator.control.createTimeSeries([{ instanceId }]);
    await post("/timeseries/data", { items: [{ instanceId, datapoints: points([T0, 4]) }] });
    const [item] = await list({ items: [{ instanceId }], start: T0, end: T0 + 1 });
    expect(item).toMatchObject({ id: ts!.id, instanceId, datapoints: [{ timestamp: T0, value: 4 }] });
  });

  it("counts inserted and returned datapoints in the emulator's stats", async () => {
    await series("flow");
    await client.datapoints.insert([
      { externalId: "flow", datapoints: points([T0, 1], [T0 + 1, 2], [T0 + 2, 3]) },
    ]);
    await list({ items: [{ externalId: "flow", limit: 2 }], start: T0, end: T0 + 10 });
    expect(emulator.control.stats()).toMatchObject({ datapointsInserted: 3, datapointsReturned: 2 });
  });
});

describe("insert limits and errors", () => {
  it.each([
    ["a misspelt value", { timestamp: T0, vaule: 1 }, "'vaule'"],
    ["an extra field next to a value", { timestamp: T0, value: 1, unit: "m" }, "'unit'"],
  ])("a datapoint with %s answers 400 naming the field, nothing written", async (_, datapoint, named) => {
    await series("strict");
    const err = await failure(
      post("/timeseries/data", {
        items: [{ externalId: "strict", datapoints: [{ timestamp: T0 - 1, value: 0 }, datapoint] }],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain("items[0].datapoints[1]");
    expect(err.message).toContain(named);
    const [item] = await list({ items: [{ externalId: "strict" }], start: T0 - 10, end: T0 + 10 });
    expect(item!.datapoints).toEqual([]);
  });

  it("an unknown field on an insert item answers 400 naming it", async () => {
    await series("strict");
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "strict", datapoints: [], isStep: true }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain("items[0]: unknown field 'isStep'");
  });

  it("rejects 100,001 points in one request with 400 and writes nothing", async () => {
    await series("flow");
    const many = Array.from({ length: 100_001 }, (_, i) => ({ timestamp: T0 + i, value: i }));
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "flow", datapoints: many }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/100001 datapoints; at most 100000/);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 200_000 });
    expect(item!.datapoints).toEqual([]);
  }, 30_000);

  it("accepts exactly 100,000 points", async () => {
    await series("flow");
    const many = Array.from({ length: 100_000 }, (_, i) => ({ timestamp: T0 + i, value: i }));
    await post("/timeseries/data", { items: [{ externalId: "flow", datapoints: many }] });
    expect(emulator.control.stats().datapointsInserted).toBe(100_000);
  }, 30_000);

  it("unknown series fail the whole request with 400 and missing, nothing written", async () => {
    await series("known");
    const err = await failure(
      post("/timeseries/data", {
        items: [
          { externalId: "known", datapoints: points([T0, 1]) },
          { externalId: "nope", datapoints: points([T0, 1]) },
          { id: 999_999, datapoints: points([T0, 1]) },
        ],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.missing).toEqual([{ externalId: "nope" }, { id: 999_999 }]);
    const [item] = await list({ items: [{ externalId: "known" }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toEqual([]);
  });

  it("a string value for a numeric series is a 400", async () => {
    await series("flow");
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "flow", datapoints: points([T0, "x"]) }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/items\[0\]\.datapoints\[0\]\.value.*numeric/);
  });

  it("a numeric value for a string series is a 400", async () => {
    await series("state", { isString: true });
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "state", datapoints: points([T0, 1]) }] }),
    );
    expect(err.status).toBe(400);
  });

  it("timestamps outside 1900-2099 are a 400", async () => {
    await series("flow");
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "flow", datapoints: points([4102444800000, 1]) }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/timestamp/);
  });

  it("values at or beyond 1e100 are a 400", async () => {
    await series("flow");
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "flow", datapoints: points([T0, 1e100]) }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/\(-1e100, 1e100\)/);
  });

  it("a Good point without value is a 400, a Bad one is stored", async () => {
    await series("flow");
    const err = await failure(
      post("/timeseries/data", { items: [{ externalId: "flow", datapoints: [{ timestamp: T0 }] }] }),
    );
    expect(err.status).toBe(400);
    await post("/timeseries/data", {
      items: [{ externalId: "flow", datapoints: [{ timestamp: T0, status: { symbol: "Bad" } }] }],
    });
    const [item] = await list({
      items: [{ externalId: "flow" }],
      start: T0,
      end: T0 + 1,
      ignoreBadDataPoints: false,
      includeStatus: true,
    });
    expect(item!.datapoints).toEqual([{ timestamp: T0, status: { code: BAD, symbol: "Bad" } }]);
  });
});

describe("status codes", () => {
  async function seedStatuses(): Promise<void> {
    await series("flow");
    await post("/timeseries/data", {
      items: [
        {
          externalId: "flow",
          datapoints: [
            { timestamp: T0, value: 1 },
            { timestamp: T0 + 1, value: 2, status: { code: UNCERTAIN } },
            { timestamp: T0 + 2, value: "NaN", status: { code: BAD } },
            { timestamp: T0 + 3, value: 4, status: { symbol: "Good" } },
          ],
        },
      ],
    });
  }

  it("by default only Good points are returned, without status", async () => {
    await seedStatuses();
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toEqual([
      { timestamp: T0, value: 1 },
      { timestamp: T0 + 3, value: 4 },
    ]);
  });

  it("treatUncertainAsBad=false keeps Uncertain points; includeStatus shows non-Good status only", async () => {
    await seedStatuses();
    const [item] = await list({
      items: [{ externalId: "flow" }],
      start: T0,
      end: T0 + 10,
      treatUncertainAsBad: false,
      includeStatus: true,
    });
    expect(item!.datapoints).toEqual([
      { timestamp: T0, value: 1 },
      { timestamp: T0 + 1, value: 2, status: { code: UNCERTAIN, symbol: "Uncertain" } },
      { timestamp: T0 + 3, value: 4 },
    ]);
  });

  it("ignoreBadDataPoints=false returns Bad points, NaN as a string", async () => {
    await seedStatuses();
    const [item] = await list({
      items: [{ externalId: "flow" }],
      start: T0,
      end: T0 + 10,
      ignoreBadDataPoints: false,
    });
    expect(item!.datapoints).toEqual([
      { timestamp: T0, value: 1 },
      { timestamp: T0 + 1, value: 2 },
      { timestamp: T0 + 2, value: "NaN" },
      { timestamp: T0 + 3, value: 4 },
    ]);
  });
});

describe("list ranges, limits and cursors", () => {
  it("start is inclusive, end exclusive, and 'N-ago' counts back from the virtual clock", async () => {
    await series("flow");
    const now = emulator.control.now();
    await client.datapoints.insert([
      {
        externalId: "flow",
        datapoints: points([now - 2 * HOUR, 1], [now - HOUR, 2], [now - 1, 3], [now, 4]),
      },
    ]);
    const [item] = await list({ items: [{ externalId: "flow", start: "1h-ago" }] });
    // end defaults to now (exclusive): the point at now is not included.
    expect(item!.datapoints.map((d) => d.value)).toEqual([2, 3]);
  });

  it("limit defaults to 100 and a nextCursor resumes after the last point", async () => {
    await series("flow");
    const many = Array.from({ length: 250 }, (_, i) => ({ timestamp: T0 + i, value: i }));
    await client.datapoints.insert([{ externalId: "flow", datapoints: many }]);
    const [first] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 1000 });
    expect(first!.datapoints).toHaveLength(100);
    expect(first!.nextCursor).toEqual(expect.any(String));
    const [second] = await list({
      items: [{ externalId: "flow", cursor: first!.nextCursor }],
      start: T0,
      end: T0 + 1000,
    });
    expect(second!.datapoints[0]).toEqual({ timestamp: T0 + 100, value: 100 });
  });

  it("no nextCursor when the page holds the last point of the range", async () => {
    await series("flow");
    await client.datapoints.insert([
      { externalId: "flow", datapoints: points([T0, 1], [T0 + 1, 2], [T0 + 50, 3]) },
    ]);
    const [item] = await list({ items: [{ externalId: "flow", limit: 2 }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toHaveLength(2);
    expect(item!.nextCursor).toBeUndefined();
  });

  it("a 100-item list pages through every point exactly once by cursors", async () => {
    const ids: string[] = [];
    for (let s = 0; s < 100; s += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => ({ externalId: `s${s + k}` }));
      await client.timeseries.create(batch);
      ids.push(...batch.map((b) => b.externalId));
    }
    // Different sizes per series so items run out of data on different pages.
    await post("/timeseries/data", {
      items: ids.map((externalId, k) => ({
        externalId,
        datapoints: Array.from({ length: 100 + k * 7 }, (_, i) => ({
          timestamp: T0 + i * 1000,
          value: k * 10_000 + i,
        })),
      })),
    });
    const seen = new Map<string, number[]>(ids.map((x) => [x, []]));
    let pending = ids.map((externalId) => ({ externalId, cursor: undefined as string | undefined }));
    let requests = 0;
    while (pending.length > 0) {
      const items = await list({
        items: pending.map((p) => ({ externalId: p.externalId, ...(p.cursor ? { cursor: p.cursor } : {}) })),
        start: T0,
        end: T0 + 10 * HOUR,
        limit: 100,
      });
      requests++;
      const next: typeof pending = [];
      for (const item of items) {
        seen.get(item.externalId!)!.push(...item.datapoints.map((d) => d.value as number));
        if (item.nextCursor) next.push({ externalId: item.externalId!, cursor: item.nextCursor });
      }
      pending = next;
    }
    ids.forEach((x, k) => {
      const expected = Array.from({ length: 100 + k * 7 }, (_, i) => k * 10_000 + i);
      expect(seen.get(x)).toEqual(expected);
    });
    // The longest series has 100 + 99 x 7 = 793 points: 8 pages of 100.
    expect(requests).toBe(8);
  }, 60_000);

  it("the items' limits may not add up to more than 100,000 raw points", async () => {
    await series("a");
    await series("b");
    const err = await failure(
      list({
        items: [
          { externalId: "a", limit: 60_000 },
          { externalId: "b", limit: 40_001 },
        ],
        start: T0,
        end: T0 + 1,
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/100001 raw datapoints/);
  });

  it("includeOutsidePoints adds the last point before and the first after the range", async () => {
    await series("flow");
    await client.datapoints.insert([
      { externalId: "flow", datapoints: points([T0 - 5000, -5], [T0, 0], [T0 + 1000, 1], [T0 + 9000, 9]) },
    ]);
    const [item] = await list({
      items: [{ externalId: "flow" }],
      start: T0 + 1,
      end: T0 + 2000,
      includeOutsidePoints: true,
    });
    expect(item!.datapoints.map((d) => d.timestamp)).toEqual([T0, T0 + 1000, T0 + 9000]);
  });

  it("includeOutsidePoints with aggregates is a 400", async () => {
    await series("flow");
    const err = await failure(
      list({
        items: [{ externalId: "flow" }],
        aggregates: ["average"],
        granularity: "1h",
        includeOutsidePoints: true,
      }),
    );
    expect(err.status).toBe(400);
  });

  it("unknown ids are a 400 with missing, or left out with ignoreUnknownIds", async () => {
    await series("flow");
    const err = await failure(list({ items: [{ externalId: "flow" }, { externalId: "ghost" }] }));
    expect(err).toMatchObject({ status: 400, missing: [{ externalId: "ghost" }] });
    const items = await list({
      items: [{ externalId: "flow" }, { externalId: "ghost" }],
      ignoreUnknownIds: true,
    });
    expect(items.map((i) => i.externalId)).toEqual(["flow"]);
  });
});

describe("aggregates", () => {
  it("hourly average, count and interpolation as hand-computed, through the SDK", async () => {
    await series("flow");
    // 00:00=0, 00:30=10, 01:30=30: [00:00,01:00) averages (30 min x 5 + 30 min x 15) / 60 = 10;
    // [01:00,02:00) has f from 20 to 30 over 01:00-01:30 and nothing after the last point: 25.
    await client.datapoints.insert([
      { externalId: "flow", datapoints: points([T0, 0], [T0 + 30 * MIN, 10], [T0 + 90 * MIN, 30]) },
    ]);
    const [item] = await client.datapoints.retrieve({
      items: [{ externalId: "flow" }],
      start: T0,
      end: T0 + 2 * HOUR,
      granularity: "1h",
      aggregates: ["average", "count", "interpolation"],
    });
    expect(item!.datapoints).toEqual([
      { timestamp: new Date(T0), average: 10, count: 2, interpolation: 0 },
      { timestamp: new Date(T0 + HOUR), average: 25, count: 1, interpolation: 20 },
    ]);
  });

  it("a step series holds values across a gap of more than 1 hour", async () => {
    await series("valve", { isStep: true });
    await client.datapoints.insert([
      { externalId: "valve", datapoints: points([T0, 1], [T0 + 15 * MIN, 3], [T0 + 150 * MIN, 5]) },
    ]);
    const [item] = await list({
      items: [{ externalId: "valve" }],
      start: T0,
      end: T0 + 3 * HOUR,
      granularity: "1h",
      aggregates: ["average", "stepInterpolation"],
    });
    expect(item!.isStep).toBe(true);
    expect(item!.datapoints).toEqual([
      { timestamp: T0, average: 2.5, stepInterpolation: 1 },
      { timestamp: T0 + 2 * HOUR, average: 3, stepInterpolation: 3 },
    ]);
  });

  it("day buckets in Europe/Oslo follow local midnight across the DST change (23 h day)", async () => {
    await series("flow");
    const from = Date.UTC(2024, 2, 29, 23); // 2024-03-30T00:00 Oslo (UTC+1)
    const hourly = Array.from({ length: 72 }, (_, i) => ({ timestamp: from + i * HOUR, value: 1 }));
    await client.datapoints.insert([{ externalId: "flow", datapoints: hourly }]);
    const [item] = await list({
      items: [{ externalId: "flow" }],
      start: from,
      end: Date.UTC(2024, 3, 1, 22),
      granularity: "1d",
      timeZone: "Europe/Oslo",
      aggregates: ["count"],
    });
    expect(item!.datapoints).toEqual([
      { timestamp: Date.UTC(2024, 2, 29, 23), count: 24 },
      { timestamp: Date.UTC(2024, 2, 30, 23), count: 23 },
      { timestamp: Date.UTC(2024, 2, 31, 22), count: 24 },
    ]);
  });

  it("aggregate pages follow nextCursor", async () => {
    await series("flow");
    const hourly = Array.from({ length: 10 }, (_, i) => ({ timestamp: T0 + i * HOUR, value: i }));
    await client.datapoints.insert([{ externalId: "flow", datapoints: hourly }]);
    const query = { start: T0, end: T0 + 10 * HOUR, granularity: "1h", aggregates: ["max"], limit: 4 };
    const timestamps: number[] = [];
    let cursor: string | undefined;
    do {
      const [item] = await list({ items: [{ externalId: "flow", ...(cursor ? { cursor } : {}) }], ...query });
      timestamps.push(...item!.datapoints.map((d) => d.timestamp));
      cursor = item!.nextCursor;
    } while (cursor);
    expect(timestamps).toEqual(hourly.map((p) => p.timestamp));
  });

  it("aggregates on a string series are a 400", async () => {
    await series("state", { isString: true });
    const err = await failure(
      list({ items: [{ externalId: "state" }], granularity: "1h", aggregates: ["count"] }),
    );
    expect(err.status).toBe(400);
  });

  it("an invalid granularity is a 400 naming the rule", async () => {
    await series("flow");
    const err = await failure(
      list({ items: [{ externalId: "flow" }], granularity: "121m", aggregates: ["count"] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/between 1 and 120/);
  });
});

describe("latest and delete", () => {
  it("latest returns the last point before `before` (default now)", async () => {
    await series("flow");
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0, 1], [T0 + 1000, 2]) }]);
    const [latest] = await client.datapoints.retrieveLatest([{ externalId: "flow" }]);
    expect(latest!.datapoints).toEqual([{ timestamp: new Date(T0 + 1000), value: 2 }]);
    const [before] = await client.datapoints.retrieveLatest([{ externalId: "flow", before: T0 + 1000 }]);
    expect(before!.datapoints).toEqual([{ timestamp: new Date(T0), value: 1 }]);
    const [none] = await client.datapoints.retrieveLatest([{ externalId: "flow", before: T0 }]);
    expect(none!.datapoints).toEqual([]);
  });

  it("latest skips Bad points unless asked", async () => {
    await series("flow");
    await post("/timeseries/data", {
      items: [
        {
          externalId: "flow",
          datapoints: [
            { timestamp: T0, value: 1 },
            { timestamp: T0 + 1, status: { code: BAD } },
          ],
        },
      ],
    });
    const good = (await post("/timeseries/data/latest", { items: [{ externalId: "flow" }] })) as {
      items: ListedItem[];
    };
    expect(good.items[0]!.datapoints).toEqual([{ timestamp: T0, value: 1 }]);
    const all = (await post("/timeseries/data/latest", {
      items: [{ externalId: "flow", ignoreBadDataPoints: false, includeStatus: true }],
    })) as { items: ListedItem[] };
    expect(all.items[0]!.datapoints).toEqual([{ timestamp: T0 + 1, status: { code: BAD, symbol: "Bad" } }]);
  });

  it("delete removes [inclusiveBegin, exclusiveEnd), or one point without exclusiveEnd", async () => {
    await series("flow");
    await client.datapoints.insert([
      {
        externalId: "flow",
        datapoints: Array.from({ length: 10 }, (_, i) => ({ timestamp: T0 + i, value: i })),
      },
    ]);
    await client.datapoints.delete([
      { externalId: "flow", inclusiveBegin: T0 + 2, exclusiveEnd: T0 + 5 },
      { externalId: "flow", inclusiveBegin: T0 + 8 },
    ]);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 100 });
    expect(item!.datapoints.map((d) => d.value)).toEqual([0, 1, 5, 6, 7, 9]);
  });

  it.each([
    [
      "list: a misspelt limit",
      "/timeseries/data/list",
      { items: [{ externalId: "flow", limt: 5 }] },
      "'limt'",
    ],
    [
      "latest: a misspelt before",
      "/timeseries/data/latest",
      { items: [{ externalId: "flow", befor: T0 }] },
      "'befor'",
    ],
    [
      "delete: a misspelt exclusiveEnd",
      "/timeseries/data/delete",
      { items: [{ externalId: "flow", inclusiveBegin: T0, exclusiveEnds: T0 + 5 }] },
      "'exclusiveEnds'",
    ],
  ])("%s answers 400 naming the field instead of ignoring it", async (_, path, body, named) => {
    await series("flow");
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0, 1], [T0 + 1, 2]) }]);
    const err = await failure(post(path, body));
    expect(err.status).toBe(400);
    expect(err.message).toContain("items[0]");
    expect(err.message).toContain(named);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toHaveLength(2);
  });

  it("delete of an unknown series is a 400 with missing", async () => {
    const err = await failure(client.datapoints.delete([{ externalId: "ghost", inclusiveBegin: T0 }]));
    expect(err).toMatchObject({ status: 400, missing: [{ externalId: "ghost" }] });
  });

  it("deleting the time series drops its datapoints", async () => {
    const id = await series("flow");
    await client.datapoints.insert([{ externalId: "flow", datapoints: points([T0, 1]) }]);
    await client.timeseries.delete([{ id }]);
    const recreated = await series("flow");
    expect(recreated).not.toBe(id);
    const [item] = await list({ items: [{ externalId: "flow" }], start: T0, end: T0 + 10 });
    expect(item!.datapoints).toEqual([]);
  });
});
