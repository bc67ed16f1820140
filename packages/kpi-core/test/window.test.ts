import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WindowSpec } from "../src/model.js";
import {
  countWindowsBetween,
  isWindowStart,
  nextWindow,
  previousWindow,
  windowAtOrAfter,
  windowClosesAt,
  windowContaining,
  windowSeconds,
  windowsBetween,
  windowsOverlapping,
} from "../src/window.js";

const H = 3_600_000;
const M = 60_000;
const D = 24 * H;
const iso = (text: string) => Date.parse(text);

const hourly: WindowSpec = { kind: "fixed", everyMs: H, offsetMs: 0 };
const osloDay: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 0, timeZone: "Europe/Oslo" };

describe("fixed windows", () => {
  it("are aligned to the Unix epoch", () => {
    expect(windowContaining(hourly, iso("2024-01-01T10:59:59.999Z"))).toEqual({
      start: iso("2024-01-01T10:00:00Z"),
      end: iso("2024-01-01T11:00:00Z"),
    });
  });

  it("are half-open: the end instant belongs to the next window", () => {
    expect(windowContaining(hourly, iso("2024-01-01T11:00:00Z")).start).toBe(iso("2024-01-01T11:00:00Z"));
  });

  it("shift their grid by the offset", () => {
    const spec: WindowSpec = { kind: "fixed", everyMs: H, offsetMs: 15 * M };
    expect(windowContaining(spec, iso("2024-01-01T10:05:00Z"))).toEqual({
      start: iso("2024-01-01T09:15:00Z"),
      end: iso("2024-01-01T10:15:00Z"),
    });
  });

  it("of 90 minutes start at multiples of 90 minutes since the epoch", () => {
    const spec: WindowSpec = { kind: "fixed", everyMs: 90 * M, offsetMs: 0 };
    // 2024-01-01T00:00Z is 19723 days = 315568 windows of 90 min + 0 min after the epoch; 01:00 is inside [00:00, 01:30).
    expect(windowContaining(spec, iso("2024-01-01T01:00:00Z")).start).toBe(iso("2024-01-01T00:00:00Z"));
    expect(windowContaining(spec, iso("2024-01-01T01:30:00Z")).start).toBe(iso("2024-01-01T01:30:00Z"));
  });

  it("work before the epoch", () => {
    expect(windowContaining(hourly, -1)).toEqual({ start: -H, end: 0 });
  });

  it("have a next and a previous window next door", () => {
    const w = windowContaining(hourly, 5 * H);
    expect(nextWindow(hourly, w)).toEqual({ start: 6 * H, end: 7 * H });
    expect(previousWindow(hourly, w)).toEqual({ start: 4 * H, end: 5 * H });
  });
});

describe("calendar windows", () => {
  it("an ambiguous local start (the fall-back hour) means its second occurrence, in standard time", () => {
    // 2024-10-27 in Oslo: 02:30 is 00:30Z (+02:00) and again 01:30Z (+01:00).
    const spec = {
      kind: "calendar",
      unit: "day",
      offsetMs: 2.5 * 3_600_000,
      timeZone: "Europe/Oslo",
    } as const;
    expect(windowContaining(spec, Date.UTC(2024, 9, 27, 12)).start).toBe(Date.UTC(2024, 9, 27, 1, 30));
    // 00:30Z-01:30Z still belongs to the day before.
    expect(windowContaining(spec, Date.UTC(2024, 9, 27, 1)).start).toBe(Date.UTC(2024, 9, 26, 0, 30));
  });

  it("of one day follow local midnight in the time zone", () => {
    expect(windowContaining(osloDay, iso("2024-01-15T12:00:00Z"))).toEqual({
      start: iso("2024-01-14T23:00:00Z"),
      end: iso("2024-01-15T23:00:00Z"),
    });
  });

  it("a DST spring-forward day in Oslo is 23 hours long", () => {
    const w = windowContaining(osloDay, iso("2024-03-31T12:00:00Z"));
    expect(w).toEqual({ start: iso("2024-03-30T23:00:00Z"), end: iso("2024-03-31T22:00:00Z") });
    expect(w.end - w.start).toBe(23 * H);
  });

  it("a DST fall-back day in Oslo is 25 hours long", () => {
    const w = windowContaining(osloDay, iso("2024-10-27T12:00:00Z"));
    expect(w).toEqual({ start: iso("2024-10-26T22:00:00Z"), end: iso("2024-10-27T23:00:00Z") });
    expect(w.end - w.start).toBe(25 * H);
  });

  it("with offset 6h start every day at 06:00 local, DST days included", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 6 * H, timeZone: "Europe/Oslo" };
    // 2024-03-31 06:00 CEST (UTC+2) = 04:00Z; the day before opened at 06:00 CET = 05:00Z.
    const w = windowContaining(spec, iso("2024-03-31T03:00:00Z"));
    expect(w).toEqual({ start: iso("2024-03-30T05:00:00Z"), end: iso("2024-03-31T04:00:00Z") });
    expect(w.end - w.start).toBe(23 * H);
  });

  it("before the day's offset belong to the previous production day", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 6 * H, timeZone: "UTC" };
    expect(windowContaining(spec, iso("2024-01-02T05:59:59Z")).start).toBe(iso("2024-01-01T06:00:00Z"));
  });

  it("of one week start on Monday at local midnight", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "week", offsetMs: 0, timeZone: "America/New_York" };
    // 2024-01-10 is a Wednesday; its week starts Monday 2024-01-08 00:00 EST = 05:00Z.
    expect(windowContaining(spec, iso("2024-01-10T12:00:00Z"))).toEqual({
      start: iso("2024-01-08T05:00:00Z"),
      end: iso("2024-01-15T05:00:00Z"),
    });
  });

  it("of one week containing the spring-forward Sunday are 167 hours long", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "week", offsetMs: 0, timeZone: "Europe/Oslo" };
    const w = windowContaining(spec, iso("2024-03-27T00:00:00Z"));
    expect(w.start).toBe(iso("2024-03-24T23:00:00Z"));
    expect(w.end - w.start).toBe(7 * D - H);
  });

  it("of one month start on the 1st at local midnight", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "month", offsetMs: 0, timeZone: "Europe/Oslo" };
    expect(windowContaining(spec, iso("2024-02-10T00:00:00Z"))).toEqual({
      start: iso("2024-01-31T23:00:00Z"),
      end: iso("2024-02-29T23:00:00Z"),
    });
  });

  it("of one month with an offset of 1d 6h start on the 2nd at 06:00 local", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "month", offsetMs: 30 * H, timeZone: "UTC" };
    expect(windowContaining(spec, iso("2024-03-02T05:00:00Z"))).toEqual({
      start: iso("2024-02-02T06:00:00Z"),
      end: iso("2024-03-02T06:00:00Z"),
    });
  });

  it("follow a 30-minute DST shift on Lord Howe Island", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 0, timeZone: "Australia/Lord_Howe" };
    // DST ends 2024-04-07 02:00 local (+11 -> +10:30): that day lasts 24.5 h.
    const w = windowContaining(spec, iso("2024-04-07T06:00:00Z"));
    expect(w.end - w.start).toBe(24.5 * H);
  });

  it("resolve a local start time skipped by DST to the same wall time after the jump", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 2.5 * H, timeZone: "Europe/Oslo" };
    // 02:30 does not exist on 2024-03-31 in Oslo; the day opens at 03:30 CEST = 01:30Z.
    expect(windowContaining(spec, iso("2024-03-31T12:00:00Z")).start).toBe(iso("2024-03-31T01:30:00Z"));
  });

  it("reject an unknown time zone with a fix", () => {
    const spec: WindowSpec = { kind: "calendar", unit: "day", offsetMs: 0, timeZone: "Europe/Osloo" };
    expect(() => windowContaining(spec, 0)).toThrow(/unknown time zone "Europe\/Osloo"; use an IANA name/);
  });
});

describe("enumerating windows", () => {
  it("windowsBetween lists the windows with start >= from and end <= to", () => {
    expect(windowsBetween(hourly, iso("2024-01-01T00:30:00Z"), iso("2024-01-01T03:30:00Z"))).toEqual([
      { start: iso("2024-01-01T01:00:00Z"), end: iso("2024-01-01T02:00:00Z") },
      { start: iso("2024-01-01T02:00:00Z"), end: iso("2024-01-01T03:00:00Z") },
    ]);
  });

  it("windowsBetween includes a window whose start equals from and whose end equals to", () => {
    expect(windowsBetween(hourly, 0, H)).toEqual([{ start: 0, end: H }]);
  });

  it("windowsBetween lists the local days of a DST week in Oslo", () => {
    const days = windowsBetween(osloDay, iso("2024-03-29T23:00:00Z"), iso("2024-04-01T22:00:00Z"));
    expect(days.map((w) => (w.end - w.start) / H)).toEqual([24, 23, 24]);
  });

  it("countWindowsBetween agrees with windowsBetween for fixed and calendar windows", () => {
    const from = iso("2024-01-01T00:30:00Z");
    const to = iso("2024-01-09T03:30:00Z");
    expect(countWindowsBetween(hourly, from, to)).toBe(windowsBetween(hourly, from, to).length);
    expect(countWindowsBetween(osloDay, from, to)).toBe(windowsBetween(osloDay, from, to).length);
    expect(countWindowsBetween(hourly, to, from)).toBe(0);
  });

  it("windowsOverlapping lists the windows sharing time with an open interval", () => {
    expect(windowsOverlapping(hourly, H, 2 * H + 1)).toEqual([
      { start: H, end: 2 * H },
      { start: 2 * H, end: 3 * H },
    ]);
    expect(windowsOverlapping(hourly, H + 1, H + 1)).toEqual([{ start: H, end: 2 * H }]);
  });

  it("windowAtOrAfter keeps a window start and moves any other instant to the next start", () => {
    expect(windowAtOrAfter(hourly, H).start).toBe(H);
    expect(windowAtOrAfter(hourly, H + 1).start).toBe(2 * H);
  });

  it("isWindowStart is true only on the grid", () => {
    expect(isWindowStart(osloDay, iso("2024-01-14T23:00:00Z"))).toBe(true);
    expect(isWindowStart(osloDay, iso("2024-01-15T00:00:00Z"))).toBe(false);
  });

  it("a window closes at its end plus the settle time", () => {
    expect(windowClosesAt({ start: 0, end: H }, 5 * M)).toBe(H + 5 * M);
  });

  it("windowSeconds is the window length in seconds", () => {
    expect(windowSeconds({ start: 0, end: 23 * H })).toBe(82_800);
  });
});

const zones = ["UTC", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"];
const specArbitrary: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc
    .record({ everyMs: fc.integer({ min: 1, max: 48 * 60 }).map((m) => m * M), offsetMinutes: fc.nat() })
    .map(({ everyMs, offsetMinutes }) => ({
      kind: "fixed" as const,
      everyMs,
      offsetMs: (offsetMinutes * M) % everyMs,
    })),
  fc
    .record({
      unit: fc.constantFrom("day" as const, "week" as const, "month" as const),
      offsetMinutes: fc.integer({ min: 0, max: 24 * 60 - 1 }),
      timeZone: fc.constantFrom(...zones),
    })
    .map(({ unit, offsetMinutes, timeZone }) => ({
      kind: "calendar" as const,
      unit,
      offsetMs: offsetMinutes * M,
      timeZone,
    })),
);
// 2000..2040: spans many DST transitions in every zone above.
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

describe("window properties", () => {
  it("windows tile time with no gap or overlap", () => {
    fc.assert(
      fc.property(specArbitrary, instant, fc.integer({ min: 1, max: 40 }), (spec, t, count) => {
        let w = windowContaining(spec, t);
        for (let i = 0; i < count; i++) {
          const next = nextWindow(spec, w);
          expect(next.start).toBe(w.end);
          expect(next.end).toBeGreaterThan(next.start);
          expect(previousWindow(spec, next)).toEqual(w);
          w = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the window containing t contains t, and every instant of it maps back to it", () => {
    fc.assert(
      fc.property(specArbitrary, instant, (spec, t) => {
        const w = windowContaining(spec, t);
        expect(w.start).toBeLessThanOrEqual(t);
        expect(t).toBeLessThan(w.end);
        expect(windowContaining(spec, w.start)).toEqual(w);
        expect(windowContaining(spec, w.end - 1)).toEqual(w);
        expect(isWindowStart(spec, w.start)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("calendar days last 23 to 25 hours and whole multiples of 30 minutes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), instant, (timeZone, t) => {
        const w = windowContaining({ kind: "calendar", unit: "day", offsetMs: 0, timeZone }, t);
        const hours = (w.end - w.start) / H;
        expect(hours).toBeGreaterThanOrEqual(23);
        expect(hours).toBeLessThanOrEqual(25);
        expect((hours * 2) % 1).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("windowsBetween returns consecutive windows inside the range and misses none", () => {
    fc.assert(
      fc.property(specArbitrary, instant, fc.integer({ min: 0, max: 40 * D }), (spec, from, length) => {
        // Keep fixed windows of a few minutes from listing tens of thousands of windows per run.
        if (spec.kind === "fixed" && length / spec.everyMs > 2000) return;
        const windows = windowsBetween(spec, from, from + length);
        windows.forEach((w, i) => {
          expect(w.start).toBeGreaterThanOrEqual(from);
          expect(w.end).toBeLessThanOrEqual(from + length);
          if (i > 0) expect(w.start).toBe(windows[i - 1]!.end);
        });
        // None missed: the window before the first starts before from, the one after the last
        // ends after the range; with none listed, the first window starting at or after from does.
        if (windows.length > 0) {
          expect(previousWindow(spec, windows[0]!).start).toBeLessThan(from);
          expect(nextWindow(spec, windows.at(-1)!).end).toBeGreaterThan(from + length);
        } else {
          const containing = windowContaining(spec, from);
          const first = containing.start === from ? containing : nextWindow(spec, containing);
          expect(first.end).toBeGreaterThan(from + length);
        }
        expect(countWindowsBetween(spec, from, from + length)).toBe(windows.length);
      }),
      { numRuns: 100 },
    );
  });
});
