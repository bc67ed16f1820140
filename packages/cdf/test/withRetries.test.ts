import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CdfRequestError } from "../src/cdfRequestError.js";
import { exponentialJitterBackoff } from "../src/exponentialJitterBackoff.js";
import { withRetries } from "../src/withRetries.js";

const failure = (status: number | undefined) =>
  new CdfRequestError({
    message: `failed ${status}`,
    operation: "POST /x",
    kind: status === undefined ? "network" : "http",
    status,
  });

describe("exponentialJitterBackoff", () => {
  it("waits a random time below min(cap, base x 2^retry)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseDelayMs, maxDelayMs, r) => {
          const delay = exponentialJitterBackoff(retry, { baseDelayMs, maxDelayMs }, () => r);
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(delay).toBe(Math.floor(r * ceiling));
        },
      ),
    );
  });
});

describe("withRetries", () => {
  it("repeats network failures, 429 and 5xx up to maxAttempts, sleeping the backoff between", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(undefined, 429, 500, 502, 503), { maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        async (failures, maxAttempts) => {
          const sleeps: number[] = [];
          let calls = 0;
          const run = withRetries(
            async () => {
              const status = failures[calls];
              calls++;
              if (calls <= failures.length) throw failure(status);
              return "done";
            },
            {
              maxAttempts,
              baseDelayMs: 100,
              maxDelayMs: 1000,
              random: () => 0.5,
              sleep: async (ms) => void sleeps.push(ms),
            },
          );
          if (failures.length < maxAttempts) {
            await expect(run).resolves.toBe("done");
            expect(calls).toBe(failures.length + 1);
          } else {
            // The last attempt's failure is what surfaces.
            await expect(run).rejects.toThrow(`failed ${failures[maxAttempts - 1]}`);
            expect(calls).toBe(maxAttempts);
          }
          expect(sleeps).toEqual(sleeps.map((_, i) => Math.floor(0.5 * Math.min(1000, 100 * 2 ** i))));
        },
      ),
    );
  });

  it("does not repeat a request CDF refused for what it is (4xx other than 429), nor a bug", async () => {
    for (const error of [failure(400), failure(409), new TypeError("bug")]) {
      let calls = 0;
      await expect(
        withRetries(
          async () => {
            calls++;
            throw error;
          },
          { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
