import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_STATE_LOCATION } from "@kpi-pipeline/cdf";
import { kpiYamlDocument } from "@kpi-pipeline/kpi-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FunctionSite, HOUR, KPIS_YAML, startFunctionSite, T0 } from "./functionOnEmulator.js";

// Every bad call ends the same way: exit code 1, {"error": "<one sentence>"} on stdout (which
// handler.py raises, so the call is Failed with that message), the same sentence logged, no stack
// trace, the token nowhere, and nothing written to CDF.

const TOKEN = "tok-9c8b7a6f5e4d3c2b1a0f";
let site: FunctionSite;
let base: { project: string; baseUrl: string };

beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point({ functionExternalId: "kpi-function", epoch: 1 });
  base = { project: site.t.emulator.project, baseUrl: site.t.emulator.baseUrl };
});
afterEach(async () => {
  await writeFile(join(site.dir, "kpis.yaml"), KPIS_YAML);
  await rm(join(site.dir, "kpis.json"), { force: true });
});
afterAll(() => site?.close());

async function written(): Promise<unknown> {
  const rows = await site.t.client.raw
    .listRows(DEFAULT_STATE_LOCATION.db, DEFAULT_STATE_LOCATION.table, { limit: 1000 })
    .autoPagingToArray({ limit: Number.POSITIVE_INFINITY });
  return {
    rows: rows.filter((r) => r.key !== "active-version").length,
    outputs: [await site.outputs("kpi:flow:mean:10m"), await site.outputs("kpi:flow:count:1h")],
  };
}

async function expectRefused(call: Parameters<FunctionSite["call"]>[0], message: RegExp): Promise<void> {
  const before = await written();
  const { code, stdout, stderr, result } = await site.call(call);
  expect(code).toBe(1);
  expect(Object.keys(result)).toEqual(["error"]);
  expect(result.error).toMatch(message);
  expect(result.error).not.toMatch(/\n\s+at /);
  expect(stdout.trim().split("\n")).toHaveLength(1);
  const logged = stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { level: string; message: string });
  expect(logged.at(-1)).toMatchObject({ level: "error", message: result.error });
  for (const text of [stdout, stderr]) {
    expect(text).not.toContain(TOKEN);
    if (site.token !== "") expect(text).not.toContain(site.token);
    expect(text).not.toMatch(/\n\s+at .*:\d+:\d+/);
  }
  expect(await written()).toEqual(before);
}

function payload(fields: Record<string, unknown>): string {
  return JSON.stringify({
    data: {},
    function_call_info: { function_id: 1 },
    ...base,
    token: TOKEN,
    ...fields,
  });
}

describe("refused calls", () => {
  it("empty stdin", () => expectRefused({ stdin: "" }, /^The function got no input on stdin/));
  it("a pointer row that does not parse: named, with what to do; a dry run still completes", async () => {
    const { db, table } = DEFAULT_STATE_LOCATION;
    await site.t.client.raw.insertRows(db, table, [
      { key: "active-version", columns: { document: { functionExternalId: "kpi-function", epoch: "1" } } },
    ]);
    try {
      await expectRefused(
        {},
        /^Raw row kpi_state\/state\/active-version does not hold the expected document at epoch: .* It is the active-version pointer, which the deployer writes: restore it, or flip to a version again; until then no version writes\.$/,
      );
      const { code, result } = await site.call({ data: { mode: "dry-run" } });
      expect(code).toBe(0);
      expect(result).toMatchObject({ mode: "dry-run", kpis: { failed: 0 } });
    } finally {
      await site.point({ functionExternalId: "kpi-function", epoch: 1 });
    }
  });
  it("stdin that is not JSON, quoting none of it", () =>
    expectRefused(
      { stdin: `{"token": "${TOKEN}", ` },
      /^The function's input on stdin is not JSON \(at character \d+\)/,
    ));
  it("huge stdin", () =>
    expectRefused(
      { stdin: payload({ data: { mode: "scheduled", pad: "x".repeat(6 << 20) } }) },
      /larger than 5 MB/,
    ));
  it("deeply nested data", () =>
    expectRefused(
      {
        stdin: payload({ data: "NESTED" }).replace(
          '"NESTED"',
          `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
        ),
      },
      /data must be an object/,
    ));
  it("a list as the whole input", () =>
    expectRefused({ stdin: "[1]" }, /^The function's input on stdin is wrong: the input must be an object$/));
  it("wrong types", () =>
    expectRefused(
      { stdin: payload({ project: 3, token: 7 }) },
      /^The function's input on stdin is wrong: project must be a string; token must be a string$/,
    ));
  it("a missing token", () => expectRefused({ stdin: payload({ token: undefined }) }, /token is missing/));
  it("an unknown mode", () =>
    expectRefused(
      { data: { mode: "recompute" } },
      /data\.mode "recompute" is not a mode: use "scheduled", "dry-run" or "backfill"/,
    ));
  it("an unknown key", () =>
    expectRefused({ data: { mode: "backfill", from: 0, to: 1, form: 3 } }, /data has unknown key "form"/));
  it("a 3 MB unknown key and many of them: a few, cut short, so the result stays small", async () => {
    const keys = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${i}${"k".repeat(3 << 17)}`, 1]));
    await expectRefused(
      { data: { mode: "scheduled", ...keys } },
      /^The call's data is wrong: data has unknown keys "0k{79}\.\.\.", .* and 5 more \(mode scheduled takes budgetSeconds\)$/,
    );
    const { result } = await site.call({ data: { mode: "scheduled", ...keys } });
    expect(String(result.error).length).toBeLessThan(1000);
  });
  it("a data value that is the call's token is not quoted back", () =>
    expectRefused(
      { token: TOKEN, data: { mode: "backfill", from: TOKEN, to: "2024-04-01" } },
      /data\.from: /,
    ));
  it("from after to", () =>
    expectRefused(
      { data: { mode: "backfill", from: "2024-04-02", to: "2024-04-01" } },
      /data\.to: from must be before to/,
    ));
  it("a timestamp outside CDF's range", () =>
    expectRefused(
      { data: { mode: "backfill", from: "1850-01-01", to: "2024-04-01" } },
      /data\.from: "1850-01-01" is outside CDF's time range/,
    ));
  it("a KPI not in kpis.yaml", () =>
    expectRefused(
      { data: { mode: "backfill", from: 0, to: T0, kpis: ["kpi:nope"] } },
      /data\.kpis names a KPI not in this function's kpis\.yaml: "kpi:nope"/,
    ));
  it("a budget beyond the timeout", () =>
    expectRefused(
      { data: { budgetSeconds: 600 } },
      /data\.budgetSeconds 600 is not below the function timeout \(600 s\)/,
    ));
  it("a token CDF refuses", () =>
    expectRefused(
      { token: TOKEN },
      /^CDF refused the call's token \(GET \/functions\/limits failed with HTTP 401.*create the schedule again with a new session nonce\.$/,
    ));
  it("an expired token", async () => {
    const now = site.t.emulator.control.now();
    const expired = site.t.emulator.control.token();
    await site.t.emulator.control.advanceClock(2 * HOUR);
    try {
      await expectRefused({ token: expired }, /^CDF refused the call's token \(.*expired/);
    } finally {
      await site.t.emulator.control.setClock(now);
    }
  });
  it("bad KPI definitions in the zip", async () => {
    await writeFile(join(site.dir, "kpis.yaml"), "kpis:\n  - externalId: k\n    window: { every: 7q }\n");
    await expectRefused(
      {},
      /^The function's KPI definitions are wrong; fix them and deploy again: kpis\.yaml: kpis\[0\]/,
    );
  });
  it("a kpis.json in the zip that is not JSON", async () => {
    await writeFile(join(site.dir, "kpis.json"), '{"kpis": [');
    await expectRefused(
      {},
      /^The function's zip has a kpis\.json that is not JSON \(.*\); build the zip again/,
    );
  });
  it("no epoch from the deployer", () =>
    expectRefused({ env: { KPI_FUNCTION_EXTERNAL_ID: "kpi-function" } }, /^KPI_FUNCTION_EPOCH is not set/));
});

describe("accepted calls", () => {
  it("loads the zip's kpis.json, not the YAML, when it is there", async () => {
    const document = kpiYamlDocument(KPIS_YAML) as { kpis: unknown[] };
    await writeFile(
      join(site.dir, "kpis.json"),
      JSON.stringify({ ...document, kpis: document.kpis.slice(0, 1) }),
    );
    const { code, result } = await site.call({ data: { mode: "dry-run" } });
    expect(code).toBe(0);
    expect(result).toMatchObject({ kpis: { total: 1 } });
  });
  it("a century range recomputes only the windows the output has", async () => {
    await site.call();
    const before = await written();
    const { code, result } = await site.call({
      data: { mode: "backfill", from: "1900-01-01T00:00:00Z", to: "2000-01-01T00:00:00Z" },
    });
    expect(code).toBe(0);
    expect(result).toMatchObject({
      status: "completed",
      kpis: { due: 0, dirty: 0 },
      backfill: { kpis: 2, complete: 2 },
    });
    expect(await written()).toEqual(before);
  });
});
