import { inspect } from "node:util";
import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CdfRequestError } from "../src/cdfRequestError.js";
import { cdfSettingsFromEnvironment, cdfSettingsFromToken } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";
import { TokenRequestError } from "../src/tokenRequestError.js";
import { environmentOf } from "./environmentOf.js";

let t: TestEmulator;
const SECRET = "very-secret-value-1234";

beforeAll(async () => {
  t = await createTestEmulator({
    project: "connect-test",
    clients: [
      { clientId: "kpi", clientSecret: SECRET },
      {
        clientId: "reader",
        clientSecret: SECRET,
        capabilities: [{ rawAcl: { actions: ["READ"], scope: { all: {} } } }],
      },
    ],
  });
});
afterEach(() => t.assertContract());
afterAll(() => t.close());

function env(overrides: Record<string, string> = {}) {
  return { ...environmentOf(t.emulator), CDF_CLIENT_ID: "kpi", CDF_CLIENT_SECRET: SECRET, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

/** Every way an error can be shown: none may contain the secret. */
function expectNoSecret(error: Error, secret = SECRET) {
  for (const shown of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error)]) {
    expect(shown).not.toContain(secret);
  }
}

describe("connectCdf with client credentials", () => {
  it("fetches a token up front and counts the CDF requests it makes", async () => {
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env()));
    expect(cdf.tokenRequestCount).toBe(1);
    expect(cdf.requestCount).toBe(0);
    await cdf.call("GET /timeseries", (c) => c.timeseries.list({ limit: 1 }).autoPagingToArray({ limit: 1 }));
    await cdf.get("/raw/dbs");
    // No 401 round trip before the first request: the token was handed to the SDK at connect.
    expect(cdf.requestCount).toBe(2);
    const { requests } = t.emulator.control.stats();
    expect([requests["POST /timeseries/list"], requests["GET /raw/dbs"]]).toEqual([{ 200: 1 }, { 200: 1 }]);
  });

  it("gets a new token when CDF refuses the cached one (401) and the request still succeeds", async () => {
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env()));
    await cdf.get("/raw/dbs");
    // Tokens live 1 h on the emulator's virtual clock; our cache uses the wall clock and still trusts it.
    await t.emulator.control.advanceClock("2h");
    await cdf.get("/raw/dbs");
    expect(cdf.tokenRequestCount).toBe(2);
    expect(cdf.requestCount).toBe(3); // the refused request, and the same request with the new token
  });

  it("renews once when many requests at once find the token refused", async () => {
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env()));
    await t.emulator.control.advanceClock("2h");
    await Promise.all(Array.from({ length: 8 }, () => cdf.get("/raw/dbs")));
    expect(cdf.tokenRequestCount).toBe(2);
    expect(cdf.requestCount).toBe(16); // each refused once, then repeated with the new token
  });

  it("renews the token before it expires, without a 401", async () => {
    let now = 1_000_000;
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env()), { tokens: { now: () => now } });
    await cdf.get("/raw/dbs");
    now += 3_600_000; // the emulator's tokens say expires_in 3600 s
    await cdf.get("/raw/dbs");
    expect(cdf.tokenRequestCount).toBe(2);
    expect(cdf.requestCount).toBe(2);
  });

  it("says which client and token URL failed when the secret is wrong, without the secret", async () => {
    const wrong = "wrong-secret-5678";
    const error = await failure(connectCdf(cdfSettingsFromEnvironment(env({ CDF_CLIENT_SECRET: wrong }))));
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.message).toBe(
      `The token endpoint ${t.emulator.tokenUrl} (client "kpi") refused the token request with HTTP 401 ` +
        "(invalid_client: Client 'kpi' is unknown or its secret is wrong). " +
        "Check CDF_TOKEN_URL, CDF_CLIENT_ID, CDF_CLIENT_SECRET and CDF_TOKEN_SCOPES.",
    );
    expectNoSecret(error, wrong);
  });

  it("says the token endpoint cannot be reached, without the secret", async () => {
    const error = await failure(
      connectCdf(cdfSettingsFromEnvironment(env({ CDF_TOKEN_URL: "http://127.0.0.1:1/oauth2/token" }))),
    );
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.message).toMatch(
      /^Could not reach the token endpoint http:\/\/127\.0\.0\.1:1\/oauth2\/token \(client "kpi"\): /,
    );
    expectNoSecret(error);
  });

  it("explains a 403 with CDF's message and the operation, without the secret", async () => {
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env({ CDF_CLIENT_ID: "reader" })));
    const error = await failure(cdf.post("/timeseries/data/list", { items: [{ externalId: "x" }] }));
    expect(error).toBeInstanceOf(CdfRequestError);
    expect(error.message).toMatch(
      /^POST \/timeseries\/data\/list failed with HTTP 403: .*timeSeriesAcl.*x-request-id/,
    );
    expectNoSecret(error);
  });

  it("reports a dropped connection as a network failure of that operation", async () => {
    const cdf = await connectCdf(cdfSettingsFromEnvironment(env()));
    const fault = t.emulator.control.addFault({ path: "*/raw/dbs", drop: true, count: 1 });
    const error = await failure(cdf.get("/raw/dbs"));
    expect(error).toBeInstanceOf(CdfRequestError);
    expect((error as CdfRequestError).kind).toBe("network");
    expect((error as CdfRequestError).transient).toBe(true);
    expect(error.message).toMatch(/^GET \/raw\/dbs got no answer from CDF \(/);
    expect(t.emulator.control.listFaults().find((f) => f.id === fault.id)?.hits).toBe(1);
    expectNoSecret(error);
    t.emulator.control.clearFaults();
  });
});

describe("connectCdf with a given token", () => {
  it("works with the token a function call receives", async () => {
    const token = t.emulator.control.token();
    const cdf = await connectCdf(
      cdfSettingsFromToken({ project: t.emulator.project, baseUrl: t.emulator.baseUrl, token }),
    );
    await cdf.get("/raw/dbs");
    expect(cdf.requestCount).toBe(1);
    expect(cdf.tokenRequestCount).toBe(0);
  });

  it("reports a refused token as a 401 of the operation, without the token", async () => {
    const token = "not-a-valid-token-abcdef";
    const cdf = await connectCdf(
      cdfSettingsFromToken({ project: t.emulator.project, baseUrl: t.emulator.baseUrl, token }),
    );
    const error = await failure(cdf.get("/raw/dbs"));
    expect(error).toBeInstanceOf(CdfRequestError);
    expect((error as CdfRequestError).status).toBe(401);
    expect(error.message).toMatch(/^GET \/raw\/dbs failed with HTTP 401: .* The token was refused/);
    expectNoSecret(error, token);
  });
});
