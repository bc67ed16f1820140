import { expect, it } from "vitest";
import { elapsedClock } from "../src/elapsedClock.js";
import { dateHeader } from "../src/serverStart.js";
import { withDeadline } from "../src/withDeadline.js";

it("dateHeader reads an HTTP Date in any header case, and nothing else", () => {
  expect(dateHeader({ date: "Mon, 01 Apr 2024 02:00:00 GMT" })).toBe(Date.parse("2024-04-01T02:00:00Z"));
  expect(dateHeader({ Date: "Mon, 01 Apr 2024 02:00:00 GMT" })).toBe(Date.parse("2024-04-01T02:00:00Z"));
  expect(dateHeader({ date: "soon" })).toBeUndefined();
  expect(dateHeader({})).toBeUndefined();
});

it("elapsedClock moves from the server's time by real elapsed time, never backwards", () => {
  let real = 1_000;
  const clock = elapsedClock(5_000_000, 1_000, () => real);
  expect(clock.now()).toBe(5_000_000);
  real = 3_500;
  expect(clock.now()).toBe(5_002_500);
  real = 0;
  expect(clock.now()).toBe(5_000_000);
});

it("withDeadline gives the work's value, or stops waiting at the deadline", async () => {
  expect(await withDeadline(Promise.resolve(7), 1_000)).toEqual({ done: true, value: 7 });
  const never = new Promise<number>(() => {});
  const started = performance.now();
  expect(await withDeadline(never, 50)).toEqual({ done: false });
  expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  await expect(withDeadline(Promise.reject(new Error("refused")), 1_000)).rejects.toThrow("refused");
});
