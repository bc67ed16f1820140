import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTimestamp, parseTimestampSpan } from "../src/timestamp.js";

describe("parseTimestamp", () => {
  it("reads integer epoch milliseconds as they are", () => {
    expect(parseTimestamp("1711756800000")).toBe(1711756800000);
    expect(parseTimestamp("0")).toBe(0);
    expect(parseTimestamp("-1000")).toBe(-1000);
  });

  it("reads an ISO 8601 date-time in UTC", () => {
    expect(parseTimestamp("2024-03-30T00:00:00Z")).toBe(1711756800000);
    expect(parseTimestamp("2024-03-30T01:02:03.456Z")).toBe(1711756800000 + 3723456);
  });

  it("applies a numeric offset: 01:00+01:00 is midnight UTC", () => {
    expect(parseTimestamp("2024-03-30T01:00:00+01:00")).toBe(1711756800000);
    expect(parseTimestamp("2024-03-30T01:00:00+0100")).toBe(1711756800000);
    expect(parseTimestamp("2024-03-29T23:00:00-01")).toBe(1711756800000);
  });

  it("reads a date-time without an offset as UTC, not local time", () => {
    expect(parseTimestamp("2024-03-30T00:00:00")).toBe(1711756800000);
    expect(parseTimestamp("2024-03-30 00:00")).toBe(1711756800000);
  });

  it("reads a bare date as midnight UTC", () => {
    expect(parseTimestamp("2024-03-30")).toBe(1711756800000);
  });

  it("truncates fractions finer than a millisecond", () => {
    expect(parseTimestamp("2024-03-30T00:00:00.123999Z")).toBe(1711756800123);
    expect(parseTimestamp("2024-03-30T00:00:00.5Z")).toBe(1711756800500);
  });

  it("rejects dates that do not exist instead of rolling them over", () => {
    expect(parseTimestamp("2024-02-30T00:00:00Z")).toBeUndefined();
    expect(parseTimestamp("2023-02-29")).toBeUndefined();
    expect(parseTimestamp("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp("2024-03-30T24:00:00Z")).toBeUndefined();
  });

  it("rejects text that is neither", () => {
    for (const text of ["", "abc", "1.5", "1e12", "2024/03/30", "30.03.2024", "2024-03-30T00:00:00ZZ"]) {
      expect(parseTimestamp(text), text).toBeUndefined();
    }
  });

  it("round-trips every instant written by Date.toISOString", () => {
    fc.assert(
      fc.property(fc.integer({ min: -30_000_000_000_000, max: 200_000_000_000_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        fc.pre(!iso.startsWith("+") && !iso.startsWith("-"));
        return parseTimestamp(iso) === ms && parseTimestamp(String(ms)) === ms;
      }),
    );
  });

  it("reads epoch milliseconds up to the largest safe integer and rejects beyond", () => {
    expect(parseTimestamp("9007199254740991")).toBe(9007199254740991);
    expect(parseTimestamp("-9007199254740991")).toBe(-9007199254740991);
    expect(parseTimestamp("9007199254740992")).toBeUndefined();
    expect(parseTimestamp("99999999999999999")).toBeUndefined();
    expect(parseTimestamp("0001711756800000")).toBe(1711756800000);
    expect(parseTimestamp("-")).toBeUndefined();
    expect(parseTimestamp("--1")).toBeUndefined();
    expect(parseTimestamp("+1000")).toBeUndefined();
  });

  it("reads a span of a longer text as the same text on its own", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom("0", "1", "9", "-", "+", ".", "e", " ") }),
          fc.integer({ min: -30_000_000_000_000, max: 200_000_000_000_000 }).map(String),
          fc.integer({ min: 0, max: 200_000_000_000_000 }).map((ms) => new Date(ms).toISOString()),
        ),
        fc.string(),
        fc.string(),
        (text, before, after) => {
          const span = parseTimestampSpan(before + text + after, before.length, before.length + text.length);
          expect(span).toBe(parseTimestamp(text));
        },
      ),
    );
  });
});
