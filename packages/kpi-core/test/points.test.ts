import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PointColumns, STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "../src/model.js";
import {
  type PointArrays,
  PointColumnsBuilder,
  pointColumnsFrom,
  pointColumnsOf,
  statusClass,
} from "../src/points.js";

describe("statusClass", () => {
  it("classes CDF codes below 0x40000000 as Good", () => {
    expect(statusClass(STATUS_GOOD)).toBe("Good");
    expect(statusClass(0x3fffffff)).toBe("Good");
  });
  it("classes 0x40000000..0x7fffffff as Uncertain", () => {
    expect(statusClass(STATUS_UNCERTAIN)).toBe("Uncertain");
    expect(statusClass(0x7fffffff)).toBe("Uncertain");
  });
  it("classes 0x80000000 and above as Bad", () => {
    expect(statusClass(STATUS_BAD)).toBe("Bad");
    expect(statusClass(0xffffffff)).toBe("Bad");
  });
});

describe("PointColumnsBuilder", () => {
  it("keeps sorted unique points as they are", () => {
    const b = new PointColumnsBuilder(2);
    b.append(1, 10);
    b.append(2, 20, STATUS_UNCERTAIN);
    b.append(3, Number.NaN, STATUS_BAD);
    const p = b.build();
    expect(p.length).toBe(3);
    expect([...p.timestamps]).toEqual([1, 2, 3]);
    expect([...p.values]).toEqual([10, 20, Number.NaN]);
    expect([...p.statuses]).toEqual([0, STATUS_UNCERTAIN, STATUS_BAD]);
  });

  it("sorts unsorted points by timestamp", () => {
    const p = pointColumnsFrom([
      { timestamp: 3000, value: 3 },
      { timestamp: 1000, value: 1 },
      { timestamp: 2000, value: 2 },
    ]);
    expect([...p.timestamps]).toEqual([1000, 2000, 3000]);
    expect([...p.values]).toEqual([1, 2, 3]);
  });

  it("keeps the last written point of a timestamp when the input is sorted", () => {
    const p = pointColumnsFrom([
      { timestamp: 1, value: 1 },
      { timestamp: 2, value: 2 },
      { timestamp: 2, value: 22 },
      { timestamp: 3, value: 3 },
    ]);
    expect([...p.timestamps]).toEqual([1, 2, 3]);
    expect([...p.values]).toEqual([1, 22, 3]);
  });

  it("keeps the last written point of a timestamp when the input is unsorted", () => {
    const p = pointColumnsFrom([
      { timestamp: 5, value: 50 },
      { timestamp: 1, value: 10 },
      { timestamp: 5, value: 51, status: STATUS_BAD },
      { timestamp: 1, value: 11 },
      { timestamp: 5, value: 52 },
      { timestamp: 3, value: 30 },
    ]);
    expect([...p.timestamps]).toEqual([1, 3, 5]);
    expect([...p.values]).toEqual([11, 30, 52]);
    expect([...p.statuses]).toEqual([0, 0, 0]);
  });

  it("a later Bad point replaces an earlier Good one at the same timestamp", () => {
    const p = pointColumnsFrom([
      { timestamp: 1, value: 10 },
      { timestamp: 1, value: null, status: STATUS_BAD },
    ]);
    expect(p.length).toBe(1);
    expect(p.values[0]).toBeNaN();
    expect(p.statuses[0]).toBe(STATUS_BAD);
  });

  it("sorts timestamps spanning more than 2^32 ms (three radix passes)", () => {
    const ts = [1_700_000_000_000, 0, 4_294_967_296 + 5, 4_294_967_296 + 4, 1_700_000_000_000 - 1, 65_536];
    const p = pointColumnsFrom(ts.map((t, i) => ({ timestamp: t, value: i })));
    expect([...p.timestamps]).toEqual([...ts].sort((a, b) => a - b));
    expect([...p.values]).toEqual([1, 5, 3, 2, 4, 0]);
  });

  it("sorts non-integer timestamps stably by comparison", () => {
    const p = pointColumnsFrom([
      { timestamp: 2.5, value: 1 },
      { timestamp: 0.5, value: 2 },
      { timestamp: 2.5, value: 3 },
    ]);
    expect([...p.timestamps]).toEqual([0.5, 2.5]);
    expect([...p.values]).toEqual([2, 3]);
  });

  it("sorts negative timestamps (before 1970)", () => {
    const p = pointColumnsFrom([
      { timestamp: 10, value: 1 },
      { timestamp: -10, value: 2 },
      { timestamp: -20, value: 3 },
    ]);
    expect([...p.timestamps]).toEqual([-20, -10, 10]);
    expect([...p.values]).toEqual([3, 2, 1]);
  });

  it("grows past its initial capacity and reports its length", () => {
    const b = new PointColumnsBuilder(1);
    for (let i = 0; i < 100; i++) b.append(100 - i, i);
    expect(b.length).toBe(100);
    const p = b.build();
    expect(p.length).toBe(100);
    expect(p.timestamps[0]).toBe(1);
    expect(p.values[0]).toBe(99);
  });

  it("columns already built do not change when the builder receives more points", () => {
    const b = new PointColumnsBuilder(4);
    b.append(1, 10);
    b.append(2, 20);
    const first = b.build();
    b.append(3, 30);
    b.append(0, 0);
    b.append(2, 99);
    const second = b.build();
    expect([...first.timestamps]).toEqual([1, 2]);
    expect([...first.values]).toEqual([10, 20]);
    expect([...second.values]).toEqual([0, 10, 99, 30]);
  });

  it("builds an empty series", () => {
    expect(new PointColumnsBuilder().build().length).toBe(0);
  });

  it('sorts a million shuffled points with duplicates (the speed of sorting: the "pages reversed" row of bench/run.ts)', () => {
    const n = 1_000_000;
    const b = new PointColumnsBuilder(n);
    for (let i = 0; i < n; i++) b.append(1_700_000_000_000 + ((i * 7919) % (n / 2)) * 1000, i);
    const p = b.build();
    expect(p.length).toBe(n / 2);
    for (let i = 1; i < p.length; i++)
      if (!(p.timestamps[i]! > p.timestamps[i - 1]!)) throw new Error(`unsorted at ${i}`);
    // (i * 7919) % 500000 repeats with period 500000, so the later i (i + 500000) wins.
    expect(p.values[0]).toBe(500_000);
  });
});

/** The general path: one append per point, in array order, then build. */
function appendedOneByOne(columns: PointArrays): PointColumns {
  const builder = new PointColumnsBuilder(1);
  for (let i = 0; i < columns.timestamps.length; i++) {
    builder.append(columns.timestamps[i]!, columns.values[i]!, columns.statuses?.[i] ?? 0);
  }
  return builder.build();
}

/** Plain arrays, so toEqual compares element by element with Object.is (NaN = NaN, -0 != 0). */
function plain(p: PointColumns) {
  return {
    length: p.length,
    timestamps: [...p.timestamps],
    values: [...p.values],
    statuses: [...p.statuses],
  };
}

// Timestamps as a caller may hold them: mostly strictly increasing (the fast path), sometimes with
// repeated timestamps, sometimes in any order; integers near now, before 1970, beyond 2^32 apart,
// or fractional (the comparison-sort fallback).
const timestampsArb = fc.oneof(
  fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }),
  fc.integer({ min: 0, max: 20 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const pointArraysArb = fc
  .record({
    raw: fc.array(fc.tuple(timestampsArb, fc.double(), fc.constantFrom(0, STATUS_UNCERTAIN, STATUS_BAD, 7)), {
      maxLength: 60,
    }),
    order: fc.constantFrom("increasing", "sorted", "any"),
    withStatuses: fc.boolean(),
  })
  .map(({ raw, order, withStatuses }) => {
    let points = raw;
    if (order !== "any") points = [...raw].sort((a, b) => a[0] - b[0]);
    if (order === "increasing") points = points.filter((p, i) => i === 0 || p[0] !== points[i - 1]![0]);
    const columns: PointArrays = {
      timestamps: Float64Array.from(points, (p) => p[0]),
      values: Float64Array.from(points, (p) => p[1]),
      ...(withStatuses ? { statuses: Uint32Array.from(points, (p) => p[2]) } : {}),
    };
    return columns;
  });

describe("PointColumnsBuilder.build", () => {
  it("sorts stably and keeps the last written point of each timestamp (property, against a plain model)", () => {
    const anyTimestamp = fc.oneof(timestampsArb, fc.constantFrom(0, -0, 4_294_967_296, -4_294_967_297));
    fc.assert(
      fc.property(fc.array(fc.tuple(anyTimestamp, fc.double(), fc.nat()), { maxLength: 80 }), (points) => {
        const model = points
          .map(([t, v, status], i) => ({ t, v, status, i }))
          .sort((a, b) => a.t - b.t || a.i - b.i)
          .filter((p, k, sorted) => k + 1 === sorted.length || sorted[k + 1]!.t !== p.t);
        const builder = new PointColumnsBuilder(1);
        for (const [t, v, status] of points) builder.append(t, v, status);
        expect(plain(builder.build())).toEqual({
          length: model.length,
          timestamps: model.map((p) => p.t),
          values: model.map((p) => p.v),
          statuses: model.map((p) => p.status),
        });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("pointColumnsOf", () => {
  it("gives exactly the columns of appending the points one by one (property)", () => {
    fc.assert(
      fc.property(pointArraysArb, (columns) => {
        const expected = plain(appendedOneByOne(columns));
        expect(plain(pointColumnsOf(columns))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("uses strictly increasing columns as they are, without a copy", () => {
    const timestamps = Float64Array.of(1, 2, 3);
    const values = Float64Array.of(10, Number.NaN, 30);
    const statuses = Uint32Array.of(0, STATUS_BAD, STATUS_UNCERTAIN);
    const p = pointColumnsOf({ timestamps, values, statuses });
    expect(p.timestamps).toBe(timestamps);
    expect(p.values).toBe(values);
    expect(p.statuses).toBe(statuses);
    expect(p.length).toBe(3);
  });

  it("reads missing statuses as Good", () => {
    const p = pointColumnsOf({ timestamps: Float64Array.of(1, 2), values: Float64Array.of(1, 2) });
    expect([...p.statuses]).toEqual([STATUS_GOOD, STATUS_GOOD]);
  });

  it("copies columns it has to sort, so the caller's arrays stay as they were", () => {
    const timestamps = Float64Array.of(2, 1, 2);
    const values = Float64Array.of(20, 10, 22);
    const p = pointColumnsOf({ timestamps, values });
    expect(plain(p)).toEqual({ length: 2, timestamps: [1, 2], values: [10, 22], statuses: [0, 0] });
    expect([...timestamps]).toEqual([2, 1, 2]);
    expect([...values]).toEqual([20, 10, 22]);
  });

  it("refuses columns of different lengths, naming them", () => {
    expect(() => pointColumnsOf({ timestamps: new Float64Array(3), values: new Float64Array(2) })).toThrow(
      new RangeError(
        "pointColumnsOf: timestamps has 3 entries but values has 2; give one timestamp, value and status per point.",
      ),
    );
    expect(() =>
      pointColumnsOf({
        timestamps: new Float64Array(2),
        values: new Float64Array(2),
        statuses: new Uint32Array(1),
      }),
    ).toThrow(/timestamps has 2 entries but statuses has 1/);
  });
});

describe("PointColumnsBuilder.appendColumns", () => {
  it("in pages of any size gives exactly the columns of appending the points one by one (property)", () => {
    fc.assert(
      fc.property(pointArraysArb, fc.array(fc.nat(), { maxLength: 8 }), (columns, cuts) => {
        const n = columns.timestamps.length;
        const bounds = [0, ...cuts.map((c) => c % (n + 1)).sort((a, b) => a - b), n];
        const builder = new PointColumnsBuilder(1);
        for (let k = 0; k + 1 < bounds.length; k++) {
          const [from, to] = [bounds[k]!, bounds[k + 1]!];
          builder.appendColumns({
            timestamps: columns.timestamps.subarray(from, to),
            values: columns.values.subarray(from, to),
            ...(columns.statuses ? { statuses: columns.statuses.subarray(from, to) } : {}),
          });
        }
        expect(builder.length).toBe(n);
        expect(plain(builder.build())).toEqual(plain(appendedOneByOne(columns)));
      }),
      { numRuns: 1000 },
    );
  });

  it("does not change columns built before it", () => {
    const builder = new PointColumnsBuilder(2);
    builder.appendColumns({ timestamps: Float64Array.of(1, 2), values: Float64Array.of(10, 20) });
    const first = builder.build();
    builder.appendColumns({ timestamps: Float64Array.of(0, 2), values: Float64Array.of(0, 99) });
    expect(plain(first)).toEqual({ length: 2, timestamps: [1, 2], values: [10, 20], statuses: [0, 0] });
    expect(plain(builder.build())).toEqual({
      length: 3,
      timestamps: [0, 1, 2],
      values: [0, 10, 99],
      statuses: [0, 0, 0],
    });
  });
});
