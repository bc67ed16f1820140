import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fnv1a64 } from "../src/kpiConfigHash.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";

/** FNV-1a 64 straight from its definition, in BigInt: the reference the fast version must match. */
function reference(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("gives FNV-1a's published 64-bit values", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("equals the BigInt definition on any text, including astral and lone surrogates", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expect(fnv1a64(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("kpiConfigHash", () => {
  it("stays what earlier versions stored on outputs (a change would flag every KPI as redefined)", () => {
    const kpis = parseKpiConfig({
      kpis: [
        {
          externalId: "a",
          window: { every: "10m" },
          inputs: { x: { externalId: "x", clean: [{ range: [0, 100] }] } },
          value: "twa(x)*2",
        },
        {
          externalId: "b",
          window: { every: "1d", timeZone: "Europe/Oslo" },
          inputs: { x: { externalId: "x" }, y: { instanceId: { space: "s", externalId: "yø" } } },
          value: "delta(x) - mean(y) + percentile(x, 95)",
        },
      ],
    });
    // Computed by the BigInt version this replaced (commit 83ec9a7).
    expect(kpis.map((k) => k.configHash)).toEqual(["373ed7034890ea8c", "04a436a8485b4e3e"]);
  });
});
