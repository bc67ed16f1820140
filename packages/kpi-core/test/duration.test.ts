import { describe, expect, it } from "vitest";
import {
  DurationError,
  durationMs,
  formatDuration,
  formatDurationMs,
  MAX_DURATION_MS,
  parseDuration,
  parseFixedDuration,
} from "../src/duration.js";

describe("parseDuration", () => {
  it.each([
    ["10s", { amount: 10, unit: "s" }],
    ["5m", { amount: 5, unit: "m" }],
    ["1h", { amount: 1, unit: "h" }],
    ["1d", { amount: 1, unit: "d" }],
    ["1w", { amount: 1, unit: "w" }],
    ["1mo", { amount: 1, unit: "mo" }],
    ["90m", { amount: 90, unit: "m" }],
  ])("reads %s as an amount and a unit", (text, expected) => {
    expect(parseDuration(text)).toEqual(expected);
  });

  it("reads 0, 0s and the number 0 as zero (for offsets and settle)", () => {
    expect(parseDuration("0")).toEqual({ amount: 0, unit: "s" });
    expect(parseDuration(0)).toEqual({ amount: 0, unit: "s" });
    expect(parseDuration("0s")).toEqual({ amount: 0, unit: "s" });
  });

  it("rejects an unknown unit with examples of the right form", () => {
    expect(() => parseDuration("90x")).toThrow(
      new DurationError('"90x" is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo'),
    );
  });

  it.each(["1.5h", "h", "-1h", "1 h h", "", "1H", "1min"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });

  it("rejects a non-zero number, since the unit would be a guess", () => {
    expect(() => parseDuration(60)).toThrow("60 is not a duration; use e.g. 10m, 1h, 1d, 1w, 1mo");
  });

  it("rejects a duration longer than CDF's whole time range, in every unit, with the limit", () => {
    for (const text of [
      "99999999999999999999s",
      "99999999999999h",
      "1753177h",
      "105190561m",
      "10437w",
      "2819mo",
    ]) {
      expect(() => parseDuration(text), text).toThrow(
        `"${text}" is longer than CDF's whole time range (1900-01-01 to 2099-12-31, 1753176h)`,
      );
    }
    // The span itself still parses, and its milliseconds are a valid Date offset from 1900.
    expect(durationMs(parseDuration("1753176h"))).toBe(MAX_DURATION_MS);
    expect(new Date(-2_208_988_800_000 + MAX_DURATION_MS).toISOString()).toBe("2100-01-01T00:00:00.000Z");
  });
});

describe("durationMs", () => {
  it("gives the milliseconds of fixed units, a day as 24 h and a week as 7 days", () => {
    expect(durationMs({ amount: 10, unit: "s" })).toBe(10_000);
    expect(durationMs({ amount: 5, unit: "m" })).toBe(300_000);
    expect(durationMs({ amount: 2, unit: "h" })).toBe(7_200_000);
    expect(durationMs({ amount: 1, unit: "d" })).toBe(86_400_000);
    expect(durationMs({ amount: 1, unit: "w" })).toBe(604_800_000);
  });

  it("refuses months, which have no fixed length, and suggests days", () => {
    expect(() => durationMs({ amount: 1, unit: "mo" })).toThrow(
      '"1mo" has no fixed length (months differ); use days instead, e.g. 30d',
    );
  });

  it("parseFixedDuration parses and converts in one step", () => {
    expect(parseFixedDuration("5m")).toBe(300_000);
    expect(parseFixedDuration(0)).toBe(0);
  });
});

describe("formatting durations", () => {
  it("formatDuration writes amount and unit", () => {
    expect(formatDuration({ amount: 1, unit: "mo" })).toBe("1mo");
  });

  it("formatDurationMs picks the largest unit that divides evenly", () => {
    expect(formatDurationMs(5_400_000)).toBe("90m");
    expect(formatDurationMs(86_400_000)).toBe("1d");
    expect(formatDurationMs(1_209_600_000)).toBe("2w");
    expect(formatDurationMs(0)).toBe("0s");
    expect(formatDurationMs(1500)).toBe("1500ms");
  });
});
