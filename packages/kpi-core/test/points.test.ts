import { describe, expect, it } from "vitest";
import { STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "../src/model.js";
import { PointColumnsBuilder, pointColumnsFrom, statusClass } from "../src/points.js";

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

  it("sorts a million shuffled points with duplicates in linear-ish time", () => {
    const n = 1_000_000;
    const b = new PointColumnsBuilder(n);
    for (let i = 0; i < n; i++) b.append(1_700_000_000_000 + ((i * 7919) % (n / 2)) * 1000, i);
    const t0 = performance.now();
    const p = b.build();
    const elapsed = performance.now() - t0;
    expect(p.length).toBe(n / 2);
    for (let i = 1; i < p.length; i++)
      if (!(p.timestamps[i]! > p.timestamps[i - 1]!)) throw new Error(`unsorted at ${i}`);
    // (i * 7919) % 500000 repeats with period 500000, so the later i (i + 500000) wins.
    expect(p.values[0]).toBe(500_000);
    // A guard against quadratic behaviour, not a benchmark: generous for a busy 2-core CI box.
    expect(elapsed).toBeLessThan(5000);
  });
});
