import { describe, expect, it } from "vitest";
import { parsePointValue } from "../src/pointValue.js";

describe("parsePointValue", () => {
  it("reads numbers, including exponents and negatives", () => {
    expect(parsePointValue("42.5")).toBe(42.5);
    expect(parsePointValue("-3")).toBe(-3);
    expect(parsePointValue("1e+21")).toBe(1e21);
    expect(parsePointValue("0")).toBe(0);
  });

  it("reads empty, blank and NaN as no value (NaN), never as zero", () => {
    expect(parsePointValue("")).toBeNaN();
    expect(parsePointValue("  ")).toBeNaN();
    expect(parsePointValue("NaN")).toBeNaN();
    expect(parsePointValue("nan")).toBeNaN();
  });

  it("rejects text that is not a number", () => {
    expect(parsePointValue("abc")).toBeUndefined();
    expect(parsePointValue("1,5")).toBeUndefined();
  });
});
