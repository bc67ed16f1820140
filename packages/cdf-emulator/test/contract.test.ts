import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createContractValidator, specRelativePath } from "../src/testing/contract.js";
import { createContractRecorder } from "../src/testing/contractRecorder.js";
import { findOpenApiSpec } from "../src/testing/openApiSpec.js";
import { createTestEmulator } from "../src/testing/testEmulator.js";

const validator = createContractValidator();
const base = "/api/v1/projects/demo";

describe("locating Cognite's OpenAPI document", () => {
  it("finds the copy vendored in this package, inside the repository", () => {
    const packageRoot = fileURLToPath(new URL("..", import.meta.url));
    expect(findOpenApiSpec()).toBe(join(packageRoot, "openapi", "openapi.json"));
  });

  it("fails with a message naming the searched path and the CDF_OPENAPI override when absent", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-spec-"));
    const saved = process.env["CDF_OPENAPI"];
    delete process.env["CDF_OPENAPI"];
    try {
      expect(() => findOpenApiSpec(empty)).toThrow(/openapi\/openapi\.json.*CDF_OPENAPI/s);
    } finally {
      if (saved !== undefined) process.env["CDF_OPENAPI"] = saved;
    }
  });

  it("uses CDF_OPENAPI when it is set", () => {
    const dir = mkdtempSync(join(tmpdir(), "spec-"));
    const file = join(dir, "custom.json");
    writeFileSync(file, "{}");
    const saved = process.env["CDF_OPENAPI"];
    process.env["CDF_OPENAPI"] = file;
    try {
      expect(findOpenApiSpec("/")).toBe(file);
    } finally {
      if (saved === undefined) delete process.env["CDF_OPENAPI"];
      else process.env["CDF_OPENAPI"] = saved;
    }
  });
});

describe("matching a concrete path to the spec's operation", () => {
  it("strips the project prefix and keeps the template", () => {
    expect(validator.findOperation("post", `${base}/timeseries/data/list`)?.operation).toBe(
      "POST /timeseries/data/list",
    );
  });

  it("prefers a literal segment over a path parameter", () => {
    expect(validator.findOperation("GET", `${base}/functions/limits`)?.operation).toBe(
      "GET /functions/limits",
    );
  });

  it("extracts path parameters", () => {
    const match = validator.findOperation("GET", `${base}/raw/dbs/kpi_state/tables/cursors/rows/a%2Fb`);
    expect(match?.template).toBe("/raw/dbs/{dbName}/tables/{tableName}/rows/{rowKey}");
    expect(match?.pathParams).toEqual({ dbName: "kpi_state", tableName: "cursors", rowKey: "a/b" });
  });

  it("maps /api/v1/token/inspect, which lives outside the project", () => {
    expect(specRelativePath("/api/v1/token/inspect")).toBe("/token/inspect");
    expect(validator.findOperation("GET", "/api/v1/token/inspect")?.operation).toBe("GET /token/inspect");
  });

  it("reports a path that is not an operation of Cognite's API", () => {
    expect(validator.validateRequest("POST", `${base}/timeseries/frobnicate`, {})).toEqual([
      "POST /timeseries/frobnicate is not an operation of Cognite's API",
    ]);
  });
});

describe("validating request bodies", () => {
  it("accepts a conforming datapoints query", () => {
    const body = { items: [{ externalId: "pump-01:flow", start: 0, end: "1d-ago", limit: 1000 }] };
    expect(validator.validateRequest("POST", `${base}/timeseries/data/list`, body)).toEqual([]);
  });

  it("names the field whose type is wrong", () => {
    const errors = validator.validateRequest("POST", `${base}/timeseries/data/list`, {
      items: [{ id: "7" }],
    });
    expect(errors).toContain("request body /items/0/id: must be integer");
  });

  it("names a missing required property", () => {
    const errors = validator.validateRequest("POST", `${base}/timeseries/subscriptions`, {
      items: [{ partitionCount: 1, timeSeriesIds: ["a"] }],
    });
    expect(errors).toContain('request body /items/0: missing required property "externalId"');
  });

  it("enforces the spec's limits (partitionCount is 1-100)", () => {
    const errors = validator.validateRequest("POST", `${base}/timeseries/subscriptions`, {
      items: [{ externalId: "s", partitionCount: 101, timeSeriesIds: ["a"] }],
    });
    expect(errors.join("\n")).toMatch(/partitionCount: must be <= 100/);
  });

  it("reports a required body that is absent", () => {
    expect(validator.validateRequest("POST", `${base}/timeseries/data/list`, undefined)).toEqual([
      "request body: required but absent",
    ]);
  });

  it("accepts a Bad datapoint without value, which two overlapping oneOf branches both match", () => {
    const body = {
      items: [{ externalId: "a", datapoints: [{ timestamp: 1, status: { code: 2147483648 } }] }],
    };
    expect(validator.validateRequest("POST", `${base}/timeseries/data`, body)).toEqual([]);
  });

  it("still rejects a body that matches no oneOf branch", () => {
    const body = { items: [{ externalId: "a", datapoints: [{ timestamp: 1, value: { nested: true } }] }] };
    expect(validator.validateRequest("POST", `${base}/timeseries/data`, body)).not.toEqual([]);
  });

  it("accepts `before` in ms for latest, which the document types as string only (built-in deviation)", () => {
    const body = { items: [{ externalId: "a", before: 1717200000000 }] };
    expect(validator.validateRequest("POST", `${base}/timeseries/data/latest`, body)).toEqual([]);
  });

  it("does not require readOnly properties in a request (a new Function has no id yet)", () => {
    const body = { items: [{ name: "kpi", fileId: 1 }] };
    expect(validator.validateRequest("POST", `${base}/functions`, body)).toEqual([]);
  });

  it("still requires readOnly properties in the response", () => {
    const errors = validator.validateResponse("POST", `${base}/functions`, 201, {
      items: [{ name: "kpi", fileId: 1 }],
    });
    expect(errors.join("\n")).toMatch(/missing required property "id"/);
  });

  it("validates query parameters, coerced from text to their declared type", () => {
    expect(validator.validateRequest("GET", `${base}/timeseries/subscriptions?limit=100`, undefined)).toEqual(
      [],
    );
    expect(
      validator.validateRequest("GET", `${base}/timeseries/subscriptions?limit=1000`, undefined),
    ).toEqual(['query "limit" (root): must be <= 100']);
  });
});

describe("validating response bodies", () => {
  const subscription = {
    externalId: "s",
    partitionCount: 1,
    createdTime: 1704067200000,
    lastUpdatedTime: 1704067200000,
  };

  it("accepts a conforming body for a documented status", () => {
    expect(
      validator.validateResponse("POST", `${base}/timeseries/subscriptions`, 201, { items: [subscription] }),
    ).toEqual([]);
  });

  it("names the missing field of a response item", () => {
    const { createdTime: _omitted, ...incomplete } = subscription;
    expect(
      validator.validateResponse("POST", `${base}/timeseries/subscriptions`, 201, { items: [incomplete] }),
    ).toEqual(['response 201 body /items/0: missing required property "createdTime"']);
  });

  it("rejects a success status the operation does not document (200 where CDF answers 201)", () => {
    const errors = validator.validateResponse("POST", `${base}/timeseries/subscriptions`, 200, { items: [] });
    expect(errors[0]).toMatch(/status 200 is not documented for POST \/timeseries\/subscriptions/);
  });

  it("holds an undocumented error status to CDF's error envelope", () => {
    const path = `${base}/timeseries/subscriptions`;
    expect(
      validator.validateResponse("POST", path, 409, { error: { code: 409, message: "exists" } }),
    ).toEqual([]);
    expect(validator.validateResponse("POST", path, 409, { message: "exists" })).toEqual([
      'response 409 body (root): missing required property "error"',
    ]);
  });

  it("accepts CDF's generic error at a status documented with a narrower error (400 without `missing`)", () => {
    const body = { error: { code: 400, message: "At most 100000 datapoints per request" } };
    expect(validator.validateResponse("POST", `${base}/timeseries/data`, 400, body)).toEqual([]);
    expect(
      validator.validateResponse("POST", `${base}/timeseries/data`, 400, { message: "no envelope" }),
    ).not.toEqual([]);
  });

  it("ignores paths outside the API (the control API)", () => {
    expect(validator.validateResponse("GET", "/_emulator/stats", 200, "anything")).toEqual([]);
  });

  it("suppresses a documented spec deviation and nothing else", () => {
    const lenient = createContractValidator({
      knownDeviations: [
        {
          operation: "POST /timeseries/subscriptions",
          direction: "response",
          error: /createdTime/,
          reason: "test: pretend the document wrongly requires createdTime",
        },
      ],
    });
    const path = `${base}/timeseries/subscriptions`;
    expect(
      lenient.validateResponse("POST", path, 201, { items: [{ externalId: "s", partitionCount: 1 }] }),
    ).toEqual(['response 201 body /items/0: missing required property "lastUpdatedTime"']);
  });
});

describe("recording exchanges", () => {
  it("collects violations and throws them all at once, naming method, path and status", () => {
    const recorder = createContractRecorder(validator);
    recorder.onExchange("POST", `${base}/timeseries/subscriptions`, { items: [] }, 201, { items: [{}] });
    expect(recorder.violations).toHaveLength(2);
    expect(() => recorder.assertNoViolations()).toThrow(
      /POST \/api\/v1\/projects\/demo\/timeseries\/subscriptions -> 201/,
    );
    expect(recorder.violations).toHaveLength(0);
  });

  it("does not hold a rejected request to the spec, only its error body", () => {
    const recorder = createContractRecorder(validator);
    const tooMany = { items: [{ externalId: "s", partitionCount: 101 }] };
    recorder.onExchange("POST", `${base}/timeseries/subscriptions`, tooMany, 400, {
      error: { code: 400, message: "partitionCount must be at most 100" },
    });
    expect(recorder.violations).toEqual([]);
  });

  it("flags a request the emulator accepted although the spec forbids it", () => {
    const recorder = createContractRecorder(validator);
    const tooMany = { items: [{ externalId: "s", partitionCount: 101 }] };
    recorder.onExchange("POST", `${base}/timeseries/subscriptions`, tooMany, 201, {
      items: [{ externalId: "s", partitionCount: 101, createdTime: 0, lastUpdatedTime: 0 }],
    });
    // The echoed partitionCount breaks the response schema too.
    expect(recorder.violations.map((v) => v.direction)).toEqual(["request", "response"]);
    expect(recorder.violations[0]?.errors.join()).toMatch(/partitionCount: must be <= 100/);
  });

  it("validates the JSON as sent: undefined fields vanish before validation", () => {
    const recorder = createContractRecorder(validator);
    recorder.onExchange("GET", `${base}/timeseries/subscriptions`, undefined, 200, {
      items: [],
      nextCursor: undefined,
    });
    expect(recorder.violations).toEqual([]);
    expect(recorder.exchanges).toBe(1);
  });

  it("ignores a 404 for a route CDF does not have", () => {
    const recorder = createContractRecorder(validator);
    recorder.onExchange("GET", `${base}/nothing/here`, undefined, 404, {
      error: { code: 404, message: "no" },
    });
    expect(recorder.violations).toEqual([]);
  });
});

describe("the test emulator", () => {
  it("validates every SDK exchange: a conforming suite records exchanges and no violation", async () => {
    const t = await createTestEmulator({ project: "contract-ok" });
    try {
      await t.client.timeseries.create([{ externalId: "a" }]);
      await t.client.timeseries.list().autoPagingToArray();
      expect(t.contract.exchanges).toBeGreaterThanOrEqual(2);
      expect(() => t.assertContract()).not.toThrow();
    } finally {
      await t.close();
    }
  });

  it("fails the test when a response breaks the document (here: a document that requires a field the emulator omits)", async () => {
    const spec = JSON.parse(readFileSync(findOpenApiSpec(), "utf8"));
    spec.components.schemas.SubscriptionDTO.required.push("fieldCdfNeverSends");
    const dir = mkdtempSync(join(tmpdir(), "strict-spec-"));
    writeFileSync(join(dir, "openapi.json"), JSON.stringify(spec));
    const t = await createTestEmulator({
      project: "contract-bad",
      contract: { specPath: join(dir, "openapi.json") },
    });
    try {
      await t.client.post(`/api/v1/projects/contract-bad/timeseries/subscriptions`, {
        data: { items: [{ externalId: "s", partitionCount: 1 }] },
      });
      expect(() => t.assertContract()).toThrow(
        /POST \/api\/v1\/projects\/contract-bad\/timeseries\/subscriptions -> 201 \(response\):\n.*missing required property "fieldCdfNeverSends"/,
      );
    } finally {
      await t.close();
    }
  });
});
