import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocColumns, type Columns } from "../src/datapoints/columns.js";
import { DatapointStore } from "../src/datapoints/datapointStore.js";
import { readRawPage } from "../src/datapoints/readRawPage.js";
import { SeriesPoints } from "../src/datapoints/seriesPoints.js";
import { sortBatch } from "../src/datapoints/sortBatch.js";

function batchOf(points: Array<[number, number]>, status?: number[]): Columns {
  const c = allocColumns(false, points.length, status !== undefined, false);
  points.forEach(([t, v], i) => {
    c.ts[i] = t;
    c.num![i] = v;
    if (status) c.status![i] = status[i]!;
  });
  c.length = points.length;
  return sortBatch(c, false);
}

function readAll(s: SeriesPoints): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const c of s.chunks) for (let i = 0; i < c.length; i++) out.push([c.ts[i]!, c.num![i]!]);
  return out;
}

describe("series storage", () => {
  it("appends in-order batches across chunk boundaries", () => {
    const s = new SeriesPoints(false, 4);
    s.insert(batchOf([1, 2, 3, 4, 5, 6].map((t) => [t, t * 10])));
    s.insert(batchOf([7, 8, 9].map((t) => [t, t * 10])));
    expect(s.count).toBe(9);
    expect(s.chunks.map((c) => c.length)).toEqual([4, 4, 1]);
    expect(readAll(s).map(([t]) => t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("overwrites a point at an existing timestamp in place", () => {
    const s = new SeriesPoints(false);
    s.insert(
      batchOf([
        [10, 1],
        [20, 2],
        [30, 3],
      ]),
    );
    s.insert(batchOf([[20, 99]]));
    expect(readAll(s)).toEqual([
      [10, 1],
      [20, 99],
      [30, 3],
    ]);
    expect(s.count).toBe(3);
  });

  it("keeps the last of repeated timestamps within one batch", () => {
    const s = new SeriesPoints(false);
    s.insert(
      batchOf([
        [5, 1],
        [3, 2],
        [5, 3],
      ]),
    );
    expect(readAll(s)).toEqual([
      [3, 2],
      [5, 3],
    ]);
  });

  it("merges an out-of-order batch between existing points", () => {
    const s = new SeriesPoints(false, 3);
    s.insert(
      batchOf([
        [10, 1],
        [20, 2],
        [30, 3],
        [40, 4],
        [50, 5],
      ]),
    );
    s.insert(
      batchOf([
        [15, 9],
        [45, 8],
        [5, 7],
      ]),
    );
    expect(readAll(s)).toEqual([
      [5, 7],
      [10, 1],
      [15, 9],
      [20, 2],
      [30, 3],
      [40, 4],
      [45, 8],
      [50, 5],
    ]);
    expect(s.chunks.every((c) => c.length <= 3)).toBe(true);
  });

  it("deletes a half-open range [begin, end)", () => {
    const s = new SeriesPoints(false, 2);
    s.insert(batchOf([1, 2, 3, 4, 5, 6, 7].map((t) => [t, t])));
    expect(s.deleteRange(2, 6)).toBe(4);
    expect(readAll(s).map(([t]) => t)).toEqual([1, 6, 7]);
    expect(s.count).toBe(3);
  });

  it("creates the status column only when a non-Good point arrives", () => {
    const s = new SeriesPoints(false);
    s.insert(batchOf([[1, 1]]));
    expect(s.chunks[0]!.status).toBeNull();
    s.insert(batchOf([[2, 2]], [2147483648]));
    expect(Array.from(s.chunks[0]!.status!.subarray(0, 2))).toEqual([0, 2147483648]);
  });

  it("seek finds the first point at or after t and seekBefore the last point before t", () => {
    const s = new SeriesPoints(false, 2);
    s.insert(batchOf([10, 20, 30, 40, 50].map((t) => [t, t])));
    const at = s.seek(25);
    expect(s.chunks[at.chunk]!.ts[at.index]).toBe(30);
    const before = s.seekBefore(30)!;
    expect(s.chunks[before.chunk]!.ts[before.index]).toBe(20);
    expect(s.seekBefore(10)).toBeUndefined();
    expect(s.seek(51).chunk).toBe(s.chunks.length);
  });

  it("behaves like a sorted map under any sequence of upserts and deletes", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        points: fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: -5, max: 5 })), {
          maxLength: 30,
        }),
      }),
      fc.record({
        kind: fc.constant("delete" as const),
        begin: fc.integer({ min: 0, max: 200 }),
        width: fc.integer({ min: 0, max: 60 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 2, max: 9 }), (ops, capacity) => {
        const s = new SeriesPoints(false, capacity);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === "insert") {
            s.insert(batchOf(o.points));
            for (const [t, v] of o.points) model.set(t, v);
          } else {
            const removed = s.deleteRange(o.begin, o.begin + o.width);
            let expected = 0;
            for (const t of [...model.keys()]) {
              if (t >= o.begin && t < o.begin + o.width) {
                model.delete(t);
                expected++;
              }
            }
            expect(removed).toBe(expected);
          }
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
        expect(readAll(s)).toEqual(expected);
        expect(s.count).toBe(expected.length);
        expect(s.chunks.every((c) => c.length > 0 && c.length <= capacity)).toBe(true);
      }),
    );
  });
});

describe("persistence", () => {
  it("save then load restores values, statuses, missing values and strings exactly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dp-store-"));
    try {
      const store = new DatapointStore();
      const numeric = allocColumns(false, 3, true, true);
      numeric.ts.set([1, 2, 3]);
      numeric.num!.set([1.5, Number.NaN, -0.25]);
      numeric.status!.set([0, 2147483648, 1073741824]);
      numeric.noValue!.set([0, 1, 0]);
      numeric.length = 3;
      store.getOrCreate(7, false).insert(numeric);
      const strings = allocColumns(true, 2, false, false);
      strings.ts.set([10, 20]);
      strings.str![0] = "on";
      strings.str![1] = "off";
      strings.length = 2;
      store.getOrCreate(8, true).insert(strings);
      await store.save(dir);

      const loaded = new DatapointStore();
      await loaded.load(dir);
      expect(loaded.totalPoints).toBe(5);
      const n = loaded.get(7)!.chunks[0]!;
      expect(Array.from(n.ts.subarray(0, 3))).toEqual([1, 2, 3]);
      expect(Array.from(n.num!.subarray(0, 3))).toEqual([1.5, Number.NaN, -0.25]);
      expect(Array.from(n.status!.subarray(0, 3))).toEqual([0, 2147483648, 1073741824]);
      expect(Array.from(n.noValue!.subarray(0, 3))).toEqual([0, 1, 0]);
      const s = loaded.get(8)!;
      expect(s.isString).toBe(true);
      expect(s.chunks[0]!.str!.slice(0, 2)).toEqual(["on", "off"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  function storeWith(id: number, timestamps: number[]): DatapointStore {
    const store = new DatapointStore();
    const c = allocColumns(false, timestamps.length, false, false);
    c.ts.set(timestamps);
    c.num!.set(timestamps.map((t) => t * 10));
    c.length = timestamps.length;
    store.getOrCreate(id, false).insert(c);
    return store;
  }

  async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "dp-crash-"));
    try {
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("a save cut short before its manifest leaves the previous save loadable", async () => {
    await withDir(async (dir) => {
      await storeWith(7, [1, 2, 3]).save(dir);
      // The manifest's temp path is taken: the second save fails after writing its column files.
      await mkdir(join(dir, "datapoints", "manifest.json.tmp"));
      await expect(storeWith(7, [1, 2, 3, 4, 5]).save(dir)).rejects.toThrow();
      const loaded = new DatapointStore();
      await loaded.load(dir);
      expect(loaded.totalPoints).toBe(3);
      expect(Array.from(loaded.get(7)!.chunks[0]!.num!.subarray(0, 3))).toEqual([10, 20, 30]);
    });
  });

  it("datapoint files without a manifest are an error that says the save was cut short", async () => {
    await withDir(async (dir) => {
      await storeWith(7, [1, 2, 3]).save(dir);
      await rm(join(dir, "datapoints", "manifest.json"));
      await expect(new DatapointStore().load(dir)).rejects.toThrow(
        /no manifest\.json: a save was cut short.*Delete .*datapoints/,
      );
    });
  });

  it("a column file shorter than the manifest says is an error naming the file", async () => {
    await withDir(async (dir) => {
      await storeWith(7, [1, 2, 3]).save(dir);
      const root = join(dir, "datapoints");
      const ts = (await readdir(root, { recursive: true })).find((f) => f.endsWith("7.ts.f64"));
      await truncate(join(root, ts as string), 8);
      await expect(new DatapointStore().load(dir)).rejects.toThrow(
        /7\.ts\.f64 has 8 bytes, but .*manifest\.json lists 3 points/,
      );
    });
  });

  it("a later save replaces the earlier one and leaves only its own files", async () => {
    await withDir(async (dir) => {
      await storeWith(7, [1, 2, 3]).save(dir);
      await storeWith(9, [4]).save(dir);
      const loaded = new DatapointStore();
      await loaded.load(dir);
      expect([loaded.get(7), loaded.get(9)?.count]).toEqual([undefined, 1]);
      expect((await readdir(join(dir, "datapoints"))).length).toBe(2); // manifest + one generation
    });
  });

  it("loads a data dir saved before generations (manifest version 1, columns beside it)", async () => {
    await withDir(async (dir) => {
      const root = join(dir, "datapoints");
      await mkdir(root);
      const series = [{ id: 7, isString: false, count: 2, hasStatus: false, hasNoValue: false }];
      await writeFile(join(root, "manifest.json"), JSON.stringify({ version: 1, series }));
      await writeFile(join(root, "7.ts.f64"), new Uint8Array(new Float64Array([1, 2]).buffer));
      await writeFile(join(root, "7.num.f64"), new Uint8Array(new Float64Array([10, 20]).buffer));
      const loaded = new DatapointStore();
      await loaded.load(dir);
      expect(Array.from(loaded.get(7)!.chunks[0]!.num!.subarray(0, 2))).toEqual([10, 20]);
    });
  });

  it("loading a directory without saved datapoints leaves the store empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dp-empty-"));
    try {
      const store = new DatapointStore();
      const one = allocColumns(false, 1, false, false);
      one.length = 1;
      store.getOrCreate(1, false).insert(one);
      await store.load(dir);
      expect(store.totalPoints).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("raw pages", () => {
  it("a page is the points in [start, end) up to limit, with the next timestamp when cut (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -50, max: 300 }), { maxLength: 80 }),
        fc.boolean(),
        fc.integer({ min: -60, max: 310 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 2, max: 9 }),
        (times, fractional, start, width, limit, capacity) => {
          const value = (t: number) => (fractional && t % 3 === 0 ? t / 4 : t * 1000 - 7);
          const s = new SeriesPoints(false, capacity);
          s.insert(batchOf(times.map((t) => [t, value(t)])));
          const page = readRawPage(s, {
            start,
            end: start + width,
            limit,
            includeOutsidePoints: false,
            includeStatus: false,
            ignoreBad: true,
            uncertainIsBad: true,
          });
          const inRange = [...times].sort((a, b) => a - b).filter((t) => t >= start && t < start + width);
          const expected = inRange.slice(0, limit).map((t) => ({ timestamp: t, value: value(t) }));
          expect(page.json === "" ? [] : JSON.parse(`[${page.json}]`)).toEqual(expected);
          expect(page.count).toBe(expected.length);
          expect(page.next).toBe(inRange[limit]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
