import { afterAll, beforeAll, expect, it } from "vitest";
import { type FunctionSite, HOUR, startFunctionSite, T0 } from "./functionOnEmulator.js";

// The SDK has no request timeout: a request that hangs must not keep the call running until CDF
// kills it (no result, no summary). With a 3-second function timeout, the budget is 2.1 s and the
// deadline 2.55 s; the datapoint reads hang for 20 s.

let site: FunctionSite;

beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR, settings: { functionTimeoutMinutes: 0.05 } });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point({ functionExternalId: "kpi-function", epoch: 1 });
});
afterAll(async () => {
  site.t.emulator.control.clearFaults();
  await site?.close();
});

it("ends with a result at its deadline, before the function timeout, when a request hangs", async () => {
  site.t.emulator.control.addFault({ path: "*/timeseries/data/list", latencyMs: 20_000 });
  const started = performance.now();
  const { code, result } = await site.call();
  const seconds = (performance.now() - started) / 1000;
  expect(code).toBe(0);
  expect(result).toMatchObject({ status: "deadline", budgetSeconds: 2.1, cursorsCommitted: false });
  expect(result.message).toMatch(/next call continues/);
  // Not before the deadline, and without waiting for the hung request.
  expect(seconds).toBeGreaterThanOrEqual(2.5);
  expect(seconds).toBeLessThan(15);
});
