import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CdfError } from "../src/context.js";
import { parseRequestBody } from "../src/parseRequestBody.js";

const schema = z.object({ items: z.array(z.object({ cronExpression: z.string() })).min(1) });

describe("parseRequestBody", () => {
  it("returns the parsed body when it matches the schema", () => {
    expect(parseRequestBody(schema, { items: [{ cronExpression: "* * * * *" }] }, "POST /x")).toEqual({
      items: [{ cronExpression: "* * * * *" }],
    });
  });

  it("a mismatch is CDF's 400 naming the endpoint and the field path as CDF writes it", () => {
    expect(() =>
      parseRequestBody(schema, { items: [{ cronExpression: 5 }] }, "POST /functions/schedules"),
    ).toThrow(CdfError);
    expect(() =>
      parseRequestBody(schema, { items: [{ cronExpression: 5 }] }, "POST /functions/schedules"),
    ).toThrow(/^Invalid request body for POST \/functions\/schedules: items\[0\]\.cronExpression: /);
  });

  it("unknown fields are named as such, where they are", () => {
    const strict = z.object({ items: z.array(z.strictObject({ a: z.number() })) });
    expect(() => parseRequestBody(strict, { items: [{ a: 1, b: 2, c: 3 }] }, "POST /x")).toThrow(
      "Invalid request body for POST /x: items[0]: unknown fields 'b', 'c'",
    );
  });

  it("a missing body is read as {} so the message names the missing field", () => {
    expect(() => parseRequestBody(schema, undefined, "POST /x")).toThrow(/items: /);
  });
});
