import fc from "fast-check";
import { expect, it } from "vitest";
import { parseFunctionInput } from "../src/functionInput.js";

// Whatever is wrong with a payload, the error never quotes the token in it.

const token = fc.string({ minLength: 8, maxLength: 40 }).filter((t) => t.trim().length >= 8);

it("never quotes the token, however the payload is broken", () => {
  fc.assert(
    fc.property(
      token,
      fc.record({
        data: fc.anything(),
        project: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
        baseUrl: fc.oneof(fc.string(), fc.constant(undefined)),
        extra: fc.option(fc.string(), { nil: undefined }),
      }),
      fc.nat(),
      (secret, fields, cut) => {
        const text = JSON.stringify({ ...fields, token: secret });
        for (const given of [text, text.slice(0, cut % (text.length + 1))]) {
          try {
            parseFunctionInput(given);
          } catch (error) {
            expect((error as Error).message).not.toContain(secret);
            expect((error as Error).message).not.toContain(JSON.stringify(secret).slice(1, -1));
          }
        }
      },
    ),
  );
});

it("passes function_call_info through and defaults it to {}", () => {
  const base = { project: "p", baseUrl: "https://x.cognitedata.com", token: "t" };
  expect(
    parseFunctionInput(
      JSON.stringify({ ...base, function_call_info: { function_id: 4, schedule_id: null, extra: 1 } }),
    ).callInfo,
  ).toEqual({
    function_id: 4,
    schedule_id: null,
    extra: 1,
  });
  expect(parseFunctionInput(JSON.stringify(base))).toMatchObject({
    callInfo: {},
    data: { mode: "scheduled" },
  });
});
