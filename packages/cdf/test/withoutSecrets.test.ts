import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withoutSecrets } from "../src/withoutSecrets.js";

/** Secrets as identity providers issue them: printable, often with + / = ~ and spaces. */
const secret = fc.string({
  unit: fc.constantFrom(...'abcXYZ019+/=~_-. %&"\\é'),
  minLength: 4,
  maxLength: 40,
});

/** Surrounding text from letters no spelling of a secret uses, so no echo can run into it. */
const text = fc.string({ unit: fc.constantFrom(..."QRSTUVW:;!\n") });

describe("withoutSecrets", () => {
  it("cuts a secret out as written, percent- and form-encoded, and JSON-escaped", () => {
    fc.assert(
      fc.property(secret, text, text, (s, before, after) => {
        const echoes = [
          s,
          encodeURIComponent(s),
          new URLSearchParams({ client_secret: s }).toString(),
          JSON.stringify({ client_secret: s }),
        ];
        for (const echo of echoes) {
          const out = withoutSecrets(`${before}${echo}${after}`, [s]);
          expect(out).toContain("[redacted]");
          expect(out).not.toContain(encodeURIComponent(s));
          expect(out.includes(s)).toBe(false);
        }
      }),
    );
  });

  it("leaves text without a secret, and secrets shorter than 4 characters, as they are", () => {
    expect(withoutSecrets("invalid_client: bad credentials", ["s3cr3t-value"])).toBe(
      "invalid_client: bad credentials",
    );
    expect(withoutSecrets("a b c", ["a b"])).toBe("a b c");
  });
});
