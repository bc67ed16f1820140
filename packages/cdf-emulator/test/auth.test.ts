import { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

let emulator: Emulator;

emulatorSuite(
  {
    project: "auth-test",
    resetBeforeEach: false,
    clients: [
      {
        clientId: "reader",
        clientSecret: "reader-secret",
        capabilities: [{ timeSeriesAcl: { actions: ["READ"], scope: { all: {} } } }],
      },
    ],
  },
  (started) => {
    emulator = started.emulator;
  },
);

async function requestToken(
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(emulator.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function clientWith(token: () => Promise<string>, project = emulator.project): CogniteClient {
  return new CogniteClient({
    appId: "auth-test",
    project,
    baseUrl: emulator.baseUrl,
    oidcTokenProvider: token,
  });
}

async function tokenFor(clientId: string, clientSecret: string): Promise<string> {
  const { body } = await requestToken({
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: clientSecret,
    scope: "x",
  });
  return body.access_token as string;
}

async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (e) {
    return e as { status: number; message: string };
  }
  throw new Error("expected the request to fail");
}

describe("token endpoint", () => {
  it("issues a bearer token for client credentials with the lifetime in seconds", async () => {
    const { status, body } = await requestToken({
      grant_type: "client_credentials",
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      scope: `${emulator.baseUrl}/.default`,
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(3600);
    expect(typeof body.access_token).toBe("string");
  });

  it("accepts the credentials as HTTP Basic auth", async () => {
    const response = await fetch(emulator.tokenUrl, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${emulator.clientId}:${emulator.clientSecret}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials",
    });
    expect(response.status).toBe(200);
  });

  it("rejects a wrong secret with OAuth2's invalid_client", async () => {
    const { status, body } = await requestToken({
      grant_type: "client_credentials",
      client_id: emulator.clientId,
      client_secret: "wrong",
    });
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
  });

  it("rejects another grant type with unsupported_grant_type", async () => {
    const { status, body } = await requestToken({
      grant_type: "password",
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
    });
    expect(status).toBe(400);
    expect(body.error).toBe("unsupported_grant_type");
  });
});

describe("bearer checks", () => {
  it("a request without a token gets 401 with CDF's error body", async () => {
    const response = await fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}/timeseries`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(401);
    expect(body.error.message).toContain("Authorization");
  });

  it("a token the emulator never issued gets 401", async () => {
    const error = await failure(clientWith(async () => "made-up").timeseries.list());
    expect(error.status).toBe(401);
  });

  it("a token expires on the virtual clock", async () => {
    const token = await tokenFor(emulator.clientId, emulator.clientSecret);
    const client = clientWith(async () => token);
    await client.timeseries.list();
    await emulator.control.advanceClock("1h");
    const response = await fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}/timeseries`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("expired");
  });

  it("the SDK recovers from an expired token by asking its provider for a new one", async () => {
    let calls = 0;
    const client = clientWith(async () => {
      calls++;
      return tokenFor(emulator.clientId, emulator.clientSecret);
    });
    await client.timeseries.list();
    await emulator.control.advanceClock("2h");
    await client.timeseries.list();
    expect(calls).toBe(2);
  });

  it("a token for the right client but an unknown project gets 403", async () => {
    const token = await tokenFor(emulator.clientId, emulator.clientSecret);
    const error = await failure(clientWith(async () => token, "other-project").timeseries.list());
    expect(error.status).toBe(403);
    expect(error.message).toContain("auth-test");
  });
});

describe("ACLs", () => {
  it("a client with timeSeriesAcl:READ can list time series", async () => {
    const token = await tokenFor("reader", "reader-secret");
    await expect(clientWith(async () => token).timeseries.list()).resolves.toBeDefined();
  });

  it("a client without timeSeriesAcl:WRITE gets 403 naming the missing capability", async () => {
    const token = await tokenFor("reader", "reader-secret");
    const error = await failure(clientWith(async () => token).timeseries.create([{ externalId: "x" }]));
    expect(error.status).toBe(403);
    expect(error.message).toContain("timeSeriesAcl:WRITE");
  });

  it("a client without rawAcl gets 403 on raw", async () => {
    const token = await tokenFor("reader", "reader-secret");
    const error = await failure(clientWith(async () => token).raw.listDatabases());
    expect(error.status).toBe(403);
  });

  it("a restricted client added through the control API is checked the same way", async () => {
    const response = await fetch(`${emulator.baseUrl}/_emulator/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        clientId: "raw-writer",
        clientSecret: "s",
        capabilities: [{ rawAcl: { actions: ["READ", "WRITE"], scope: { all: {} } } }],
      }),
    });
    expect(response.status).toBe(200);
    const client = clientWith(async () => tokenFor("raw-writer", "s"));
    await client.raw.insertRows("db", "t", [{ key: "k", columns: {} }], true);
    expect((await failure(client.timeseries.list())).status).toBe(403);
  });
});

describe("token/inspect", () => {
  it("reports the subject, the project and the client's capabilities in CDF's shape", async () => {
    const token = await tokenFor("reader", "reader-secret");
    const client = clientWith(async () => token);
    // The SDK does not retry token/inspect after a 401, so the token must be set up front.
    await client.authenticate();
    const response = await client.get("/api/v1/token/inspect");
    expect(response.data).toEqual({
      subject: "reader",
      projects: [{ projectUrlName: "auth-test", groups: [] }],
      capabilities: [
        {
          timeSeriesAcl: { actions: ["READ"], scope: { all: {} } },
          projectScope: { projects: ["auth-test"] },
        },
      ],
    });
  });

  it("needs a valid token", async () => {
    const response = await fetch(`${emulator.baseUrl}/api/v1/token/inspect`);
    expect(response.status).toBe(401);
  });
});
