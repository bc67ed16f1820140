import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CdfError } from "../src/context.js";
import { pageOf } from "../src/pageOf.js";

describe("pageOf", () => {
  it("following nextCursor returns every item once, in order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        (items, limit) => {
          const seen: number[] = [];
          let cursor: string | undefined;
          do {
            const page = pageOf(items, cursor, limit);
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items);
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(seen).toEqual(items);
        },
      ),
    );
  });

  it("a cursor the API did not return is CDF's 400, telling the caller to pass nextCursor back unchanged", () => {
    const error = (() => {
      try {
        pageOf([1, 2, 3], "not-a-cursor", 2);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CdfError);
    expect((error as CdfError).status).toBe(400);
    expect((error as CdfError).message).toMatch(/pass back a nextCursor exactly as the API returned it/);
  });
});
