// Outside points and /timeseries/data/latest treat filtered points "as if they do not exist"
// (openapi.json, ignoreBadDataPoints): they look past Bad (and, unless treatUncertainAsBad is
// false, Uncertain) points to the nearest kept one, and return nothing when there is none. Real
// CDF does the same: cognite-sdk-python's integration tests against CDF
// (tests/tests_integration/test_api/test_datapoints.py, test_outside_points_with_bad_and_uncertain
// and test_effect_of_uncertain_and_bad_settings_using_same_before_setting) find no outside point
// in an all-Bad series unless Bad points are asked for, and a latest point that moves back past
// Uncertain and Bad points. With ignoreBadDataPoints false, a Bad point comes back as stored:
// without a value when it had none.

import type { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import type { KnownSpecDeviation } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

const T0 = Date.UTC(2024, 0, 1);
const BAD = 2147483648;
const UNCERTAIN = 1073741824;

const knownDeviations: KnownSpecDeviation[] = [
  {
    operation: "POST /timeseries/data/latest",
    direction: "request",
    error: /^request body \/items\/\d+\/before: must be string$/,
    reason: "openapi.json types `before` as a string only; the SDKs send ms numbers, which CDF accepts",
  },
];

let emulator: Emulator;
let client: CogniteClient;

emulatorSuite(
  { project: "bad-context-test", clock: "2024-06-01T00:00:00Z", contract: { knownDeviations } },
  (started) => {
    ({ emulator, client } = started);
  },
);

type Status = "good" | "uncertain" | "bad" | "bad-no-value";
interface Stored {
  timestamp: number;
  status: Status;
  value: number;
}

async function post<T>(path: string, body: unknown): Promise<T> {
  return (await client.post<T>(`/api/v1/projects/${emulator.project}${path}`, { data: body })).data;
}

function wire(p: Stored): Record<string, unknown> {
  if (p.status === "good") return { timestamp: p.timestamp, value: p.value };
  if (p.status === "bad-no-value") return { timestamp: p.timestamp, status: { code: BAD } };
  return { timestamp: p.timestamp, value: p.value, status: { code: p.status === "bad" ? BAD : UNCERTAIN } };
}

function kept(p: Stored, ignoreBad: boolean, uncertainIsBad: boolean): boolean {
  if (!ignoreBad) return true;
  if (p.status === "bad" || p.status === "bad-no-value") return false;
  return !(p.status === "uncertain" && uncertainIsBad);
}

const storedPoints = fc
  .uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 0, maxLength: 25 })
  .chain((offsets) =>
    fc.tuple(
      ...offsets.map((offset) =>
        fc.record({
          timestamp: fc.constant(T0 + offset * 1000),
          status: fc.constantFrom<Status>("good", "uncertain", "bad", "bad-no-value"),
          value: fc.integer({ min: -1000, max: 1000 }),
        }),
      ),
    ),
  )
  .map((ps) => [...ps].sort((a, b) => a.timestamp - b.timestamp));

describe("Bad and Uncertain points around a range", () => {
  let n = 0;

  it("outside points are the nearest points the status filter keeps, whatever lies between", async () => {
    await fc.assert(
      fc.asyncProperty(
        storedPoints,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 60 }),
        fc.boolean(),
        fc.boolean(),
        async (stored, startOffset, span, ignoreBad, uncertainIsBad) => {
          const externalId = `outside-${n++}`;
          await client.timeseries.create([{ externalId }]);
          if (stored.length > 0)
            await post("/timeseries/data", { items: [{ externalId, datapoints: stored.map(wire) }] });
          const start = T0 + startOffset * 1000 + 500;
          const end = start + span * 1000;
          const { items } = await post<{ items: Array<{ datapoints: Array<{ timestamp: number }> }> }>(
            "/timeseries/data/list",
            {
              items: [{ externalId }],
              start,
              end,
              includeOutsidePoints: true,
              ignoreBadDataPoints: ignoreBad,
              treatUncertainAsBad: uncertainIsBad,
            },
          );
          const visible = stored.filter((p) => kept(p, ignoreBad, uncertainIsBad));
          const before = visible.filter((p) => p.timestamp < start).at(-1);
          const inside = visible.filter((p) => p.timestamp >= start && p.timestamp < end);
          const after = visible.find((p) => p.timestamp >= end);
          const expected = [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
          expect(items[0]!.datapoints.map((d) => d.timestamp)).toEqual(expected.map((p) => p.timestamp));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("latest is the last point the status filter keeps before `before`; a Bad one without a value comes back without one", async () => {
    await fc.assert(
      fc.asyncProperty(
        storedPoints,
        fc.integer({ min: 0, max: 201 }),
        fc.boolean(),
        fc.boolean(),
        async (stored, beforeOffset, ignoreBad, uncertainIsBad) => {
          const externalId = `latest-${n++}`;
          await client.timeseries.create([{ externalId }]);
          if (stored.length > 0)
            await post("/timeseries/data", { items: [{ externalId, datapoints: stored.map(wire) }] });
          const before = T0 + beforeOffset * 1000;
          const { items } = await post<{ items: Array<{ datapoints: Array<Record<string, unknown>> }> }>(
            "/timeseries/data/latest",
            {
              items: [
                {
                  externalId,
                  before,
                  ignoreBadDataPoints: ignoreBad,
                  treatUncertainAsBad: uncertainIsBad,
                  includeStatus: true,
                },
              ],
            },
          );
          const expected = stored
            .filter((p) => p.timestamp < before && kept(p, ignoreBad, uncertainIsBad))
            .at(-1);
          const got = items[0]!.datapoints;
          if (expected === undefined) {
            expect(got).toEqual([]);
            return;
          }
          expect(got).toHaveLength(1);
          expect(got[0]!.timestamp).toBe(expected.timestamp);
          if (expected.status === "bad-no-value") expect(got[0]).not.toHaveProperty("value");
          else expect(got[0]!.value).toBe(expected.value);
        },
      ),
      { numRuns: 40 },
    );
  });
});
