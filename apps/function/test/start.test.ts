import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FunctionSite, HOUR, startFunctionSite, T0 } from "./functionOnEmulator.js";

// `start -- --once`: one run from this machine against the CDF_* environment, printing the same
// result a call returns; here against the emulator, with client credentials.

const APP = fileURLToPath(new URL("..", import.meta.url));
let site: FunctionSite;

beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point({ functionExternalId: "kpi-local", epoch: 4 });
});
afterAll(() => site?.close());

function start(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const e = site.t.emulator;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/start.ts", "--", ...args],
      {
        cwd: APP,
        env: {
          PATH: process.env.PATH,
          CDF_PROJECT: e.project,
          CDF_BASE_URL: e.baseUrl,
          CDF_CLIENT_ID: e.clientId,
          CDF_CLIENT_SECRET: e.clientSecret,
          CDF_TOKEN_URL: e.tokenUrl,
          KPI_FUNCTION_EXTERNAL_ID: "kpi-local",
          KPI_FUNCTION_EPOCH: "4",
        },
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

it("runs once against the CDF_* environment and prints the call's result", async () => {
  const { code, stdout, stderr } = await start(["--once", "--config", join(site.dir, "kpis.yaml")]);
  expect(stderr).not.toContain(site.t.emulator.clientSecret);
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({
    status: "completed",
    mode: "scheduled",
    self: "kpi-local@4",
    version: "dev",
    kpis: { total: 2, due: 12 },
  });
  for (const line of stderr.trim().split("\n")) expect(() => JSON.parse(line), line).not.toThrow();
  expect((await site.outputs("kpi:flow:count:1h")).map((d) => d.value)).toEqual([60]);
});

it("takes the call's data with --data", async () => {
  const { code, stdout } = await start([
    "--once",
    "--config",
    join(site.dir, "kpis.yaml"),
    "--data",
    '{"mode":"dry-run"}',
  ]);
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ status: "completed", mode: "dry-run", dryRun: { points: 0 } });
});

it("refuses to run without --once, saying how to run repeatedly", async () => {
  const { code, stdout } = await start([]);
  expect(code).toBe(1);
  expect(JSON.parse(stdout).error).toMatch(/^--once is required: .*deploy the zip with a schedule/);
});
