import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDatapointCursor, encodeDatapointCursor } from "../src/datapoints/datapointCursor.js";
import { type CursorPosition, decodeCursor, encodeCursor } from "../src/requestBody.js";
import {
  decodeSubscriptionCursor,
  encodeSubscriptionCursor,
} from "../src/subscriptions/subscriptionCursor.js";

const position = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }),
) as fc.Arbitrary<CursorPosition>;
const any = (_: CursorPosition): _ is CursorPosition => true;

describe("the one cursor codec", () => {
  it("gives back every position it encoded (property)", () => {
    fc.assert(
      fc.property(position, (p) => {
        expect(decodeCursor(encodeCursor(p), "test", any)).toEqual(p);
      }),
    );
  });

  it("datapoint and subscription cursors round-trip through it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("raw", "aggregate" as const),
        fc.integer({ min: -2208988800000, max: 4102444799999 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (kind, next, subscription, partition, at) => {
          expect(decodeDatapointCursor(encodeDatapointCursor({ kind, next }), "c")).toEqual({ kind, next });
          const cursor = { subscription, partition, position: at };
          expect(decodeSubscriptionCursor(encodeSubscriptionCursor(cursor), "c")).toEqual(cursor);
        },
      ),
    );
  });

  it("an endpoint refuses another endpoint's cursor with 400, not a wrong page", () => {
    const subscription = encodeSubscriptionCursor({ subscription: 1, partition: 0, position: 5 });
    const datapoint = encodeDatapointCursor({ kind: "raw", next: 5 });
    expect(() => decodeDatapointCursor(subscription, "items[0].cursor")).toThrow(
      /not one this endpoint issued/,
    );
    expect(() => decodeSubscriptionCursor(datapoint, "partitions[0].cursor")).toThrow(/not a cursor of this/);
    expect(() => decodeCursor(datapoint, "GET rows")).toThrow(/not one this endpoint issued/);
    expect(() => decodeCursor("%%%", "GET rows")).toThrow(/not one this endpoint issued/);
  });
});
