import { STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import { parseStatusCode, parseStatusCodeSpan } from "../src/statusCode.js";

describe("parseStatusCode", () => {
  it("reads an empty status as Good", () => {
    expect(parseStatusCode("")).toBe(STATUS_GOOD);
  });

  it("reads the class symbols Good, Uncertain and Bad", () => {
    expect(parseStatusCode("Good")).toBe(0);
    expect(parseStatusCode("Uncertain")).toBe(1073741824);
    expect(parseStatusCode("Bad")).toBe(2147483648);
  });

  it("maps a specific CDF symbol to its class by prefix, in any case", () => {
    expect(parseStatusCode("BadOutOfRange")).toBe(STATUS_BAD);
    expect(parseStatusCode("UncertainLastUsableValue")).toBe(STATUS_UNCERTAIN);
    expect(parseStatusCode("GoodClamped")).toBe(STATUS_GOOD);
    expect(parseStatusCode("bad")).toBe(STATUS_BAD);
  });

  it("keeps a numeric code exactly", () => {
    expect(parseStatusCode("2153250816")).toBe(2153250816);
    expect(parseStatusCode("1073741824")).toBe(1073741824);
  });

  it("rejects codes beyond 32 bits and unknown words", () => {
    expect(parseStatusCode("4294967296")).toBeUndefined();
    expect(parseStatusCode("Fine")).toBeUndefined();
    expect(parseStatusCode("-1")).toBeUndefined();
  });

  it("reads a span of a longer text as the same text on its own", () => {
    const text = "x,,Bad,2153250816,Fine";
    expect(parseStatusCodeSpan(text, 2, 2)).toBe(STATUS_GOOD);
    expect(parseStatusCodeSpan(text, 3, 6)).toBe(STATUS_BAD);
    expect(parseStatusCodeSpan(text, 7, 17)).toBe(2153250816);
    expect(parseStatusCodeSpan(text, 18, 22)).toBeUndefined();
  });
});
