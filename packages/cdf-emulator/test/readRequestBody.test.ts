import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createDeflate, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CdfError } from "../src/context.js";
import type { Emulator } from "../src/index.js";
import { depthExceededAt, MAX_BODY_BYTES, MAX_JSON_DEPTH, readRequestBody } from "../src/readRequestBody.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";

let emulator: Emulator;
let token: string;

emulatorSuite({ project: "body-test" }, (started) => {
  emulator = started.emulator;
  token = emulator.control.token();
});

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emulator.baseUrl}/api/v1/projects/${emulator.project}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
}

/**
 * A gzip body that inflates to `mebibytes` MiB: gzip members may be concatenated, so one
 * compressed MiB of zeros repeated makes a bomb without ever holding the inflated bytes here.
 */
function gzipBomb(mebibytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024));
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}

async function errorOf(response: Response): Promise<{ code: number; message: string }> {
  return ((await response.json()) as { error: { code: number; message: string } }).error;
}

function nested(depth: number, leaf = "1"): string {
  return "[".repeat(depth) + leaf + "]".repeat(depth);
}

describe("limits apply to the decoded body", () => {
  it("a gzip body that inflates to 600 MiB answers 413 with CDF's error body, and the emulator serves on", async () => {
    const bomb = gzipBomb(600);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const response = await api("/timeseries", {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: bomb,
    });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe(413);
    expect(error.message).toContain(`larger than ${MAX_BODY_BYTES} bytes`);
    expect(error.message).toContain("Content-Encoding: gzip");
    expect((await api("/timeseries")).status).toBe(200);
  });

  it("the unauthenticated control API inflates with the same cap", async () => {
    const response = await fetch(`${emulator.baseUrl}/_emulator/clock`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipBomb(201),
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe(413);
  });

  it("a deflate body inflating past the cap answers 413 too", async () => {
    const deflater = createDeflate({ level: 1 });
    const compressed = buffer(deflater);
    const mebibyte = Buffer.alloc(1024 * 1024);
    for (let i = 0; i <= MAX_BODY_BYTES / mebibyte.length; i++) deflater.write(mebibyte);
    deflater.end();
    const response = await api("/timeseries", {
      method: "POST",
      headers: { "content-encoding": "deflate" },
      body: await compressed,
    });
    expect(response.status).toBe(413);
  });

  it("a body just under the cap once inflated is read", async () => {
    const body = JSON.stringify({ items: [{ externalId: "fits" }] });
    const response = await api("/timeseries", {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: gzipSync(body),
    });
    expect(response.status).toBe(201);
  });

  it("an unknown Content-Encoding answers 415 naming it", async () => {
    const response = await api("/timeseries", {
      method: "POST",
      headers: { "content-encoding": "br" },
      body: "{}",
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).message).toContain("'br'");
  });
});

describe("JSON nesting", () => {
  it(`a raw row nested deeper than ${MAX_JSON_DEPTH} levels answers 400, and the table stays readable`, async () => {
    const db = `/raw/dbs/deep/tables/t/rows`;
    const deep = `{"items": [{"key": "k", "columns": {"c": ${nested(5000)}}}]}`;
    const response = await api(`${db}?ensureParent=true`, { method: "POST", body: deep });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
    const ok = await api(`${db}?ensureParent=true`, {
      method: "POST",
      body: JSON.stringify({ items: [{ key: "k", columns: { c: JSON.parse(nested(MAX_JSON_DEPTH - 5)) } }] }),
    });
    expect(ok.status).toBe(200);
    expect((await api(db)).status).toBe(200);
  });

  it("200,000-deep JSON in time series metadata answers 400, not 500", async () => {
    const body = `{"items": [{"externalId": "deep", "metadata": {"a": ${nested(200_000)}}}]}`;
    const response = await api("/timeseries", { method: "POST", body });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("levels deep");
  });

  it("the depth check on the control API too", async () => {
    const response = await fetch(`${emulator.baseUrl}/_emulator/clock`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"set": ${nested(100_000)}}`,
    });
    expect(response.status).toBe(400);
  });

  it("depthExceededAt finds the first byte past the limit exactly when the value nests deeper", () => {
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === "object"
        ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        const bytes = Buffer.from(JSON.stringify(value));
        const at = depthExceededAt(bytes, max);
        expect(at === undefined).toBe(depthOf(value) <= max);
        if (at !== undefined) expect([0x5b, 0x7b]).toContain(bytes[at]);
      }),
    );
  });
});

/** A request as readRequestBody sees it: headers and a body stream in chunks. */
function request(body: Buffer, headers: Record<string, string>): IncomingMessage {
  const chunks = Array.from({ length: Math.ceil(body.length / 7) }, (_, i) =>
    body.subarray(i * 7, i * 7 + 7),
  );
  return Object.assign(Readable.from(chunks), { headers }) as unknown as IncomingMessage;
}

const encoders: Record<string, (b: Buffer) => Buffer> = {
  identity: (b) => b,
  gzip: (b) => gzipSync(b),
  deflate: (b) => deflateSync(b),
};

describe("readRequestBody", () => {
  it("gives back any JSON value under the limits, whatever the encoding (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 6 }),
        fc.constantFrom("identity", "gzip", "deflate"),
        async (v, enc) => {
          const raw = Buffer.from(JSON.stringify(v) ?? "null");
          const body = await readRequestBody(
            request(encoders[enc]!(raw), { "content-type": "application/json", "content-encoding": enc }),
          );
          expect(body.raw.equals(raw)).toBe(true);
          expect(body.json).toEqual(JSON.parse(raw.toString()));
        },
      ),
    );
  });

  it.each(["identity", "gzip", "deflate"])(
    "%s: one byte over the cap is a 413, exactly the cap is read",
    async (enc) => {
      const cap = 1000;
      const read = (n: number) =>
        readRequestBody(request(encoders[enc]!(Buffer.alloc(n, 0x20)), { "content-encoding": enc }), cap);
      await expect(read(cap)).resolves.toMatchObject({ raw: Buffer.alloc(cap, 0x20) });
      const error = await read(cap + 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdfError);
      expect((error as CdfError).status).toBe(413);
    },
  );

  it("a body that is not the data its Content-Encoding says is a 400 naming the encoding", async () => {
    const error = await readRequestBody(request(Buffer.from("{}"), { "content-encoding": "gzip" })).catch(
      (e: unknown) => e,
    );
    expect((error as CdfError).status).toBe(400);
    expect((error as CdfError).message).toContain("not valid gzip data");
  });
});
