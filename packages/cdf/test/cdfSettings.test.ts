import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CdfConfigurationError } from "../src/cdfConfigurationError.js";
import { cdfSettingsFromEnvironment, cdfSettingsFromToken } from "../src/cdfSettings.js";

const complete = {
  CDF_PROJECT: "my-project",
  CDF_CLUSTER: "westeurope-1",
  CDF_CLIENT_ID: "client-id",
  CDF_CLIENT_SECRET: "s3cr3t-value",
  CDF_TOKEN_URL: "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    cdfSettingsFromEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(CdfConfigurationError);
    return (error as CdfConfigurationError).problems;
  }
  throw new Error("expected a CdfConfigurationError");
}

describe("cdfSettingsFromEnvironment", () => {
  it("builds the base URL from the cluster and defaults the scope to it", () => {
    const settings = cdfSettingsFromEnvironment(complete);
    expect(settings.baseUrl).toBe("https://westeurope-1.cognitedata.com");
    expect(settings.project).toBe("my-project");
    expect(settings.auth).toMatchObject({
      kind: "clientCredentials",
      clientId: "client-id",
      tokenUrl: complete.CDF_TOKEN_URL,
      scopes: ["https://westeurope-1.cognitedata.com/.default"],
    });
    if (settings.auth.kind !== "clientCredentials") throw new Error("unreachable");
    expect(settings.auth.clientSecret.reveal()).toBe("s3cr3t-value");
  });

  it("takes CDF_BASE_URL without its trailing slash, and scopes separated by spaces or commas", () => {
    const { CDF_CLUSTER: _, ...rest } = complete;
    const settings = cdfSettingsFromEnvironment({
      ...rest,
      CDF_BASE_URL: "https://api.cognitedata.com/",
      CDF_TOKEN_SCOPES: "a/.default, b/.default c",
    });
    expect(settings.baseUrl).toBe("https://api.cognitedata.com");
    expect(settings.auth.kind === "clientCredentials" && settings.auth.scopes).toEqual([
      "a/.default",
      "b/.default",
      "c",
    ]);
  });

  it("names every missing variable at once, treating empty ones as missing", () => {
    expect(problemsOf({ CDF_PROJECT: "", CDF_CLIENT_SECRET: "" })).toEqual([
      "CDF_PROJECT is missing",
      expect.stringMatching(/^CDF_CLUSTER or CDF_BASE_URL is missing/),
      "CDF_CLIENT_ID is missing",
      "CDF_CLIENT_SECRET is missing",
      "CDF_TOKEN_URL is missing",
    ]);
  });

  it("refuses both a cluster and a base URL, a bad cluster, and plain http to a remote host", () => {
    expect(problemsOf({ ...complete, CDF_BASE_URL: "https://x.cognitedata.com" })).toEqual([
      "set either CDF_CLUSTER or CDF_BASE_URL, not both",
    ]);
    expect(problemsOf({ ...complete, CDF_CLUSTER: "West Europe" })[0]).toMatch(
      /^CDF_CLUSTER "West Europe" must be a cluster name/,
    );
    const { CDF_CLUSTER: _, ...rest } = complete;
    expect(problemsOf({ ...rest, CDF_BASE_URL: "http://cdf.example.com" })[0]).toMatch(
      /^CDF_BASE_URL "http:\/\/cdf.example.com" must use https/,
    );
    expect(problemsOf({ ...rest, CDF_BASE_URL: "not a url" })[0]).toBe(
      'CDF_BASE_URL "not a url" is not a URL',
    );
    expect(problemsOf({ ...complete, CDF_TOKEN_URL: "http://idp.example.com/token" })[0]).toMatch(
      /^CDF_TOKEN_URL .* must use https/,
    );
    // A local emulator is plain http on loopback.
    expect(cdfSettingsFromEnvironment({ ...rest, CDF_BASE_URL: "http://127.0.0.1:4010" }).baseUrl).toBe(
      "http://127.0.0.1:4010",
    );
  });

  it("never shows the client secret: not in any error, not when the settings are printed", () => {
    fc.assert(
      fc.property(
        // Marked with a character our messages never use: a plain word such as "proper" would
        // be found inside "property" and fail the test without any leak.
        fc
          .string({ minLength: 6 })
          .filter((s) => s.trim().length >= 6)
          .map((s) => `\u{1F511}${s}`),
        fc.record({
          CDF_PROJECT: fc.option(fc.string(), { nil: undefined }),
          CDF_CLUSTER: fc.option(fc.string(), { nil: undefined }),
          CDF_BASE_URL: fc.option(fc.string(), { nil: undefined }),
          CDF_CLIENT_ID: fc.option(fc.string(), { nil: undefined }),
          CDF_TOKEN_URL: fc.option(fc.string(), { nil: undefined }),
          CDF_TOKEN_SCOPES: fc.option(fc.string(), { nil: undefined }),
        }),
        (secret, env) => {
          // Other variables never contain the secret in this test, so any appearance is a leak.
          fc.pre(Object.values(env).every((v) => v === undefined || !v.includes(secret)));
          try {
            const settings = cdfSettingsFromEnvironment({ ...env, CDF_CLIENT_SECRET: secret });
            for (const shown of [
              inspect(settings, { depth: 10 }),
              JSON.stringify(settings),
              String(settings.auth),
            ]) {
              expect(shown).not.toContain(secret);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(CdfConfigurationError);
            expect(`${(error as Error).message} ${inspect(error)}`).not.toContain(secret);
          }
        },
      ),
    );
  });
});

describe("cdfSettingsFromToken", () => {
  it("takes a Cognite Function's project, base URL and token", () => {
    const settings = cdfSettingsFromToken({
      project: "p",
      baseUrl: "https://api.cognitedata.com/",
      token: "tok",
    });
    expect(settings.baseUrl).toBe("https://api.cognitedata.com");
    expect(settings.auth.kind === "token" && settings.auth.token.reveal()).toBe("tok");
    expect(JSON.stringify(settings)).not.toContain('tok"');
  });

  it("names each missing field", () => {
    expect(() => cdfSettingsFromToken({})).toThrow(
      "CDF configuration has 3 problems: project is missing; baseUrl is missing; token is missing",
    );
  });
});
