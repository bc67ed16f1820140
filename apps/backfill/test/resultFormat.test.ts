import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatResultRow, resultHeader } from "../src/resultFormat.js";

describe("result rows", () => {
  it("writes the CSV header externalId,timestamp,value,status and no JSONL header", () => {
    expect(resultHeader("csv")).toBe("externalId,timestamp,value,status\n");
    expect(resultHeader("jsonl")).toBe("");
  });

  it("writes a CSV value in shortest round-trip form", () => {
    expect(formatResultRow("csv", "k", { timestamp: 1000, value: 0.1 + 0.2, status: "Good" })).toBe(
      "k,1000,0.30000000000000004,Good\n",
    );
    expect(formatResultRow("csv", "k", { timestamp: 1000, value: 1e21, status: "Good" })).toBe(
      "k,1000,1e+21,Good\n",
    );
  });

  it("writes an empty value with status Bad when there is no value", () => {
    expect(
      formatResultRow("csv", "k", { timestamp: 0, value: null, status: "Bad", reason: "no points" }),
    ).toBe("k,0,,Bad\n");
  });

  it("quotes a CSV externalId holding a comma or a quote", () => {
    expect(formatResultRow("csv", 'a,"b"', { timestamp: 0, value: 1, status: "Good" })).toBe(
      '"a,""b""",0,1,Good\n',
    );
  });

  it("writes JSONL with null value and the reason", () => {
    expect(
      JSON.parse(formatResultRow("jsonl", "k", { timestamp: 5, value: null, status: "Bad", reason: "why" })),
    ).toEqual({ externalId: "k", timestamp: 5, value: null, status: "Bad", reason: "why" });
  });

  it("round-trips every finite value exactly through both formats", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const csv = formatResultRow("csv", "k", { timestamp: 0, value, status: "Good" });
        const json = JSON.parse(formatResultRow("jsonl", "k", { timestamp: 0, value, status: "Good" }));
        return Object.is(Number(csv.split(",")[2]), value === 0 ? 0 : value) && json.value === value;
      }),
    );
  });
});
