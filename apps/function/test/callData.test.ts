import { CDF_MAX_TIME, CDF_MIN_TIME } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCallData } from "../src/callData.js";

const time = fc.integer({ min: CDF_MIN_TIME, max: CDF_MAX_TIME });
const asGiven = (ms: number) => fc.constantFrom<string | number>(ms, new Date(ms).toISOString());

describe("parseCallData", () => {
  it("reads no data, null and {} as a scheduled run", () => {
    for (const data of [undefined, null, {}])
      expect(parseCallData(data)).toEqual({ ok: true, data: { mode: "scheduled" } });
  });

  it("reads any from < to in CDF's range, as epoch ms or ISO 8601, as that range", () => {
    fc.assert(
      fc.property(
        time.chain((a) => time.filter((b) => b !== a).map((b) => [Math.min(a, b), Math.max(a, b)] as const)),
        fc.boolean(),
        fc.boolean(),
        ([from, to], fromIso, toIso) => {
          const given = {
            mode: "backfill",
            from: fromIso ? new Date(from).toISOString() : from,
            to: toIso ? new Date(to).toISOString() : to,
          };
          expect(parseCallData(given)).toEqual({ ok: true, data: { mode: "backfill", from, to } });
        },
      ),
    );
  });

  it("refuses from >= to, naming both fields' rule", () => {
    fc.assert(
      fc.property(
        time
          .chain((a) => time.filter((b) => b <= a).map((b) => [a, b] as const))
          .chain(([from, to]) => fc.tuple(asGiven(from), asGiven(to))),
        ([from, to]) => {
          expect(parseCallData({ mode: "backfill", from, to })).toEqual({
            ok: false,
            problems: ["data.to: from must be before to"],
          });
        },
      ),
    );
  });

  it("refuses any other mode, naming it and the three there are", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), (mode) => {
        fc.pre(mode !== "scheduled" && mode !== "dry-run" && mode !== "backfill");
        const parsed = parseCallData({ mode });
        expect(parsed.ok).toBe(false);
        if (!parsed.ok)
          expect(parsed.problems[0]).toMatch(
            /^data\.mode .* is not a mode: use "scheduled", "dry-run" or "backfill"$/,
          );
      }),
    );
  });

  it("refuses data that is not an object", () => {
    for (const data of [[], "scheduled", 3, true]) {
      expect(parseCallData(data)).toMatchObject({
        ok: false,
        problems: [expect.stringMatching(/^data must be an object/)],
      });
    }
  });

  it("accepts budgetSeconds above 0 and at most an hour", () => {
    expect(parseCallData({ budgetSeconds: 0.5 })).toEqual({
      ok: true,
      data: { mode: "scheduled", budgetSeconds: 0.5 },
    });
    for (const budgetSeconds of [0, -1, 3601, "60"]) expect(parseCallData({ budgetSeconds }).ok).toBe(false);
  });

  it("refuses fractional epoch milliseconds and text that is no time", () => {
    expect(parseCallData({ mode: "backfill", from: 1.5, to: 10 })).toMatchObject({ ok: false });
    expect(parseCallData({ mode: "backfill", from: "yesterday", to: 10 })).toEqual({
      ok: false,
      problems: [
        'data.from: "yesterday" is not epoch ms or ISO 8601 (e.g. 1711756800000 or 2024-03-30T00:00:00Z)',
      ],
    });
  });
});
