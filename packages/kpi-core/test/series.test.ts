import { describe, expect, it } from "vitest";
import { describeSeries, instanceSeriesKey, seriesLookupKey } from "../src/index.js";

describe("series lookup keys", () => {
  it("a plain externalId is its own key", () => {
    expect(seriesLookupKey({ externalId: "pump-01:flow" })).toBe("pump-01:flow");
  });
  it("an instance id never collides with an externalId that looks like space:externalId", () => {
    const instance = seriesLookupKey({ instanceId: { space: "pump-01", externalId: "flow" } });
    expect(instance).not.toBe(seriesLookupKey({ externalId: "pump-01:flow" }));
    expect(instance).toBe(instanceSeriesKey("pump-01", "flow"));
  });
  it("describes both kinds of reference for messages", () => {
    expect(describeSeries({ externalId: "a" })).toBe('externalId "a"');
    expect(describeSeries({ instanceId: { space: "s", externalId: "x" } })).toBe(
      'instanceId { space: "s", externalId: "x" }',
    );
  });
});
