import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FunctionSite, HOUR, MINUTE, startFunctionSite, T0 } from "./functionOnEmulator.js";

let site: FunctionSite;

beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point({ functionExternalId: "kpi-function", epoch: 1 });
});
afterAll(() => site?.close());

describe("a scheduled call", () => {
  it("writes every closed window, with the emulator's virtual now from the Date header", async () => {
    const { code, result, stderr } = await site.call();
    expect(stderr).not.toContain(site.token);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "completed",
      mode: "scheduled",
      self: "kpi-function@1",
      clock: "server",
    });
    expect(Date.parse(result.at as string)).toBeGreaterThanOrEqual(T0 + 2 * HOUR);
    expect(Date.parse(result.at as string)).toBeLessThan(T0 + 2 * HOUR + MINUTE);
    // 10-minute windows closed 5 minutes (settle) before now: 00:00 to 01:50 is 11 windows, hourly: 1.
    const tenMinute = await site.outputs("kpi:flow:mean:10m");
    expect(tenMinute.map((d) => d.timestamp)).toEqual(
      Array.from({ length: 11 }, (_, i) => T0 + i * 10 * MINUTE),
    );
    expect(tenMinute[0]!.value).toBeCloseTo(4.5);
    expect((await site.outputs("kpi:flow:count:1h")).map((d) => d.value)).toEqual([60]);
    expect(result.requests).toBeGreaterThan(0);
  });
});
