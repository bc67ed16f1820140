import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CDF_MAX_TIMESTAMP,
  CDF_MIN_TIMESTAMP,
  parseTimestamp,
  parseTimestampEnd,
  parseTimestampSpan,
  timestampError,
} from "../src/timestamp.js";

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

  it("truncates any number of fraction digits to the millisecond, not only up to nine", () => {
    // Exporters write 7 (.NET ticks), 9 (nanoseconds) or more digits; the README promises truncation.
    expect(parseTimestamp("2024-03-30T12:00:00.9999999999Z")).toBe(Date.UTC(2024, 2, 30, 12, 0, 0, 999));
    fc.assert(
      fc.property(
        fc.integer({ min: CDF_MIN_TIMESTAMP, max: CDF_MAX_TIMESTAMP }),
        fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 40 }),
        fc.constantFrom(".", ","),
        (ms, extra, separator) => {
          const iso = new Date(ms).toISOString();
          const text = `${iso.slice(0, 19)}${separator}${iso.slice(20, 23)}${extra}Z`;
          expect(parseTimestamp(text)).toBe(ms);
        },
      ),
    );
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

  it("round-trips every instant in CDF's range written by Date.toISOString or as epoch ms", () => {
    fc.assert(
      fc.property(fc.integer({ min: CDF_MIN_TIMESTAMP, max: CDF_MAX_TIMESTAMP }), (ms) => {
        const iso = new Date(ms).toISOString();
        return parseTimestamp(iso) === ms && parseTimestamp(String(ms)) === ms;
      }),
    );
  });

  it("refuses every instant outside CDF's range, naming the range, in epoch ms and ISO 8601", () => {
    const outside = fc.oneof(
      fc.integer({ min: -8_640_000_000_000_000, max: CDF_MIN_TIMESTAMP - 1 }),
      fc.integer({ min: CDF_MAX_TIMESTAMP + 1, max: 8_640_000_000_000_000 }),
    );
    fc.assert(
      fc.property(outside, (ms) => {
        const iso = new Date(ms).toISOString();
        for (const text of [String(ms), iso]) {
          if (text.startsWith("+") || (text.startsWith("-") && text.includes("T"))) continue;
          expect(parseTimestamp(text), text).toBeUndefined();
          expect(timestampError(text)).toContain(
            "is outside CDF's time range, 1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z",
          );
        }
      }),
    );
    expect(parseTimestamp("1899-12-31T23:59:59.999Z")).toBeUndefined();
    expect(parseTimestamp("2100-01-01T00:00:00Z")).toBeUndefined();
    expect(parseTimestamp("1900-01-01T00:00:00Z")).toBe(CDF_MIN_TIMESTAMP);
    expect(parseTimestamp("2099-12-31T23:59:59.999Z")).toBe(CDF_MAX_TIMESTAMP);
    // An offset can bring a time just outside the range into it.
    expect(parseTimestamp("1899-12-31T23:00:00-01:00")).toBe(CDF_MIN_TIMESTAMP);
  });

  it("says 'outside the range' for epoch ms of any length, not 'not epoch ms'", () => {
    for (const text of [
      "8640000000000001",
      "99999999999999999",
      "-99999999999999999999999",
      "9".repeat(400),
    ]) {
      expect(parseTimestamp(text), text).toBeUndefined();
      expect(timestampError(text), text).toMatch(/is outside CDF's time range/);
    }
  });

  it("reads years before 100 as they are written, not as 19xx", () => {
    expect(parseTimestamp("0050-01-01T00:00:00Z")).toBeUndefined();
    expect(timestampError("0050-01-01T00:00:00Z")).toMatch(/outside CDF's time range/);
  });

  it("refuses UTC offsets beyond ±18:00 or with 60 minutes or more, and says so", () => {
    for (const text of [
      "2024-03-30T00:00:00+25:00",
      "2024-03-30T00:00:00+99:99",
      "2024-03-30T00:00:00-18:01",
      "2024-03-30T00:00:00+0160",
      "2024-03-30T00:00:00+19",
    ]) {
      expect(parseTimestamp(text), text).toBeUndefined();
      expect(timestampError(text), text).toMatch(
        /has the UTC offset .*; an offset is at most ±18:00, with minutes below 60/,
      );
    }
    expect(parseTimestamp("2024-03-30T18:00:00+18:00")).toBe(Date.UTC(2024, 2, 30));
    expect(parseTimestamp("2024-03-29T06:00:00-18:00")).toBe(Date.UTC(2024, 2, 30));
    expect(parseTimestamp("2024-03-30T05:45:00+05:45")).toBe(Date.UTC(2024, 2, 30));
  });

  it("allows the exclusive end of the range one millisecond past CDF's last", () => {
    expect(parseTimestampEnd("2100-01-01T00:00:00Z")).toBe(CDF_MAX_TIMESTAMP + 1);
    expect(parseTimestampEnd("2100-01-01T00:00:00.001Z")).toBeUndefined();
  });

  it("reads epoch milliseconds with leading zeros and a minus sign", () => {
    expect(parseTimestamp("-1000")).toBe(-1000);
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
          fc.integer({ min: 0, max: 5_000_000_000_000 }).map((ms) => new Date(ms).toISOString()),
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
