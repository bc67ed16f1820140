import { CogniteClient } from "@cognite/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { timeSeriesDeviations } from "./fixtures/knownDeviations.js";

let emulator: Emulator;
let token: string;

emulatorSuite({ project: "server-test", contract: { knownDeviations: timeSeriesDeviations } }, (started) => {
  emulator = started.emulator;
  token = emulator.control.token();
});

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
}

describe("responses", () => {
  it("every response carries a unique x-request-id", async () => {
    const a = await api("/timeseries");
    const b = await api("/nope");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("an unknown endpoint answers 404 with CDF's error body", async () => {
    const response = await api("/assets");
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(404);
    expect(body.error.message).toContain("/assets");
  });

  it("a known path with the wrong method answers 405", async () => {
    const response = await api("/timeseries/list", { method: "GET" });
    expect(response.status).toBe(405);
  });

  it("invalid JSON answers 400 saying so", async () => {
    const response = await api("/timeseries", { method: "POST", body: "{not json" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "not valid JSON",
    );
  });

  it("a static segment wins over a parameter: /raw/dbs/delete is not a database called 'delete'", async () => {
    await api("/raw/dbs", { method: "POST", body: JSON.stringify({ items: [{ name: "x" }] }) });
    const response = await api("/raw/dbs/delete", {
      method: "POST",
      body: JSON.stringify({ items: [{ name: "x" }] }),
    });
    expect(response.status).toBe(200);
  });

  it("a gzip-compressed request body is accepted", async () => {
    const { gzipSync } = await import("node:zlib");
    const response = await api("/timeseries", {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify({ items: [{ externalId: "zipped" }] })),
    });
    expect(response.status).toBe(201);
  });
});

describe("the Date header", () => {
  // A function in the emulator takes "now" from Date (CDF's is its wall clock); Node's default
  // would be the machine's wall clock, years away from the virtual one.
  it("follows the virtual clock, to the second, on every answer", async () => {
    const start = emulator.control.now();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 11, 31) }),
          fc.constantFrom("/timeseries", "/nope", "/timeseries/list"),
          async (at, path) => {
            await emulator.control.setClock(at);
            token = emulator.control.token();
            const response = await api(path);
            expect(Date.parse(response.headers.get("date") ?? "")).toBe(Math.floor(at / 1000) * 1000);
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      await emulator.control.setClock(start);
      token = emulator.control.token();
    }
  });

  it("is virtual on a 401 and on an injected fault too", async () => {
    const now = emulator.control.now();
    const unauthorized = await fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}/timeseries`);
    expect(unauthorized.status).toBe(401);
    expect(Date.parse(unauthorized.headers.get("date") ?? "")).toBe(Math.floor(now / 1000) * 1000);
    emulator.control.addFault({ path: "*/timeseries", status: 503, count: 1 });
    const faulted = await api("/timeseries");
    expect(faulted.status).toBe(503);
    expect(Date.parse(faulted.headers.get("date") ?? "")).toBe(Math.floor(now / 1000) * 1000);
  });
});

describe("path faults", () => {
  it("a count-limited 503 hits exactly that many matching requests", async () => {
    emulator.control.addFault({ path: "*/timeseries/list", status: 503, count: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api("/timeseries/list", { method: "POST", body: "{}" })).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("a 429 fault answers with CDF's concurrency message", async () => {
    emulator.control.addFault({ path: "*/timeseries", method: "GET", status: 429, count: 1 });
    const response = await api("/timeseries");
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({
      error: {
        code: 429,
        message: "Project exceeded maximum number='50' of concurrent requests. Please try again later.",
      },
    });
  });

  it("faults only hit the method they name", async () => {
    emulator.control.addFault({ path: "*/timeseries", method: "POST", status: 500 });
    expect((await api("/timeseries")).status).toBe(200);
  });

  it("a regex pattern matches as a regex", async () => {
    emulator.control.addFault({ path: "^/api/v1/projects/[^/]+/raw/", status: 502, count: 1 });
    expect((await api("/raw/dbs")).status).toBe(502);
    expect((await api("/timeseries")).status).toBe(200);
  });

  it("the SDK retries a 429 and succeeds once the fault is spent", async () => {
    emulator.control.addFault({ path: "*/timeseries/list", status: 429, count: 1 });
    const client = new CogniteClient({
      appId: "server-test",
      project: emulator.project,
      baseUrl: emulator.baseUrl,
      oidcTokenProvider: async () => token,
    });
    await client.authenticate();
    await expect(client.timeseries.list()).resolves.toMatchObject({ items: [] });
    expect(emulator.control.stats().requests["POST /timeseries/list"]).toEqual({ "200": 1, "429": 1 });
  });

  it("added latency delays the answer", async () => {
    emulator.control.addFault({ path: "*/timeseries", latencyMs: 150, count: 1 });
    const started = performance.now();
    const response = await api("/timeseries");
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("a dropped connection fails the request at the network level", async () => {
    emulator.control.addFault({ path: "*/timeseries", drop: true, count: 1 });
    await expect(api("/timeseries")).rejects.toThrow();
    expect((await api("/timeseries")).status).toBe(200);
  });

  it("probability 0 never fires", async () => {
    emulator.control.addFault({ path: "*", status: 500, probability: 0 });
    for (let i = 0; i < 5; i++) expect((await api("/timeseries")).status).toBe(200);
  });
});
