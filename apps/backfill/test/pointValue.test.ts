import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePointValue, parsePointValueSpan, pointValueError } from "../src/pointValue.js";

describe("parsePointValue", () => {
  it("reads numbers, including exponents and negatives", () => {
    expect(parsePointValue("42.5")).toBe(42.5);
    expect(parsePointValue("-3")).toBe(-3);
    expect(parsePointValue("1e+21")).toBe(1e21);
    expect(parsePointValue("0")).toBe(0);
  });

  it("reads empty and NaN as no value (NaN), never as zero", () => {
    expect(parsePointValue("")).toBeNaN();
    expect(parsePointValue("NaN")).toBeNaN();
    expect(parsePointValue("nan")).toBeNaN();
  });

  it("refuses what Number() reads but a decimal export never holds, and says why", () => {
    const refused: [string, RegExp][] = [
      ["0x10", /is not a decimal number/],
      ["0b11", /is not a decimal number/],
      ["0o7", /is not a decimal number/],
      ["1_000", /is not a decimal number/],
      ["Infinity", /is not a finite number; CDF stores only finite values/],
      ["-inf", /is not a finite number/],
      ["1e999", /beyond the range of a double/],
      [" 1", /has spaces around it/],
      ["1 ", /has spaces around it/],
      ["  ", /has spaces around it/],
      ["\t5", /"\\t5" has spaces around it/],
      ["1\u00002", /"1\\u\{0000\}2" is not a decimal number/],
    ];
    for (const [text, reason] of refused) {
      expect(parsePointValue(text), text).toBeUndefined();
      expect(pointValueError(text), text).toMatch(reason);
    }
  });

  it("reads every number it writes (String(x) of any finite double) as exactly that number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        // === rather than Object.is: String(-0) is "0".
        expect(parsePointValue(String(x)) === x).toBe(true);
      }),
    );
  });

  it("rejects text that is not a number", () => {
    expect(parsePointValue("abc")).toBeUndefined();
    expect(parsePointValue("1,5")).toBeUndefined();
  });

  it("reads a plain decimal as exactly the number Number() gives", () => {
    expect(Object.is(parsePointValue("-0"), -0)).toBe(true);
    expect(Object.is(parsePointValue("-0.000"), -0)).toBe(true);
    expect(parsePointValue("0.1")).toBe(0.1);
    expect(parsePointValue("007.50")).toBe(7.5);
    expect(parsePointValue("123456789012345")).toBe(123456789012345);
    // 16 digits: past the exact fast path, still the same number.
    expect(parsePointValue("1234567890123456.7")).toBe(Number("1234567890123456.7"));
    expect(parsePointValue("0.000000000000001")).toBe(1e-15);
    // 17 digits: digit by digit, the mantissa would be rounded before the division.
    expect(parsePointValue("932440712.16653325")).toBe(Number("932440712.16653325"));
    expect(parsePointValue("4038598621422.0004")).toBe(Number("4038598621422.0004"));
    for (const text of [".5", "5.", "-.5", "+1"]) expect(parsePointValue(text), text).toBe(Number(text));
    for (const text of ["1.2.3", "-", ".", "1-2"]) expect(parsePointValue(text), text).toBeUndefined();
  });

  it("reads what it accepts as Number() does, and accepts only decimal characters", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom("0", "1", "5", "9", "-", "+", ".", "e", "E", "x", "b", "_", " ", "I"),
          minLength: 1,
        }),
        (text) => {
          const value = parsePointValue(text);
          if (value === undefined) return;
          expect(text).toMatch(/^[0-9eE.+-]+$/);
          expect(value).toBe(Number(text));
        },
      ),
    );
  });

  it("agrees with Number() on random decimals of up to 18 digits", () => {
    const digits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(fc.boolean(), digits, fc.option(digits), (negative, whole, fraction) => {
        const text = `${negative ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`;
        expect(parsePointValue(text)).toBe(Number(text));
      }),
    );
  });

  it("reads a span of a longer text as the same text on its own", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.double().map(String), fc.constantFrom("", " ", "NaN", " nan ")),
        fc.string(),
        fc.string(),
        (text, before, after) => {
          const span = parsePointValueSpan(before + text + after, before.length, before.length + text.length);
          expect(span).toBe(parsePointValue(text));
        },
      ),
    );
  });
});
