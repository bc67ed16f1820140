import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ACTIVE_VERSION_KEY,
  cdfSettingsFromToken,
  connectCdf,
  DEFAULT_STATE_LOCATION,
  RawDocumentStore,
} from "@kpi-pipeline/cdf";
import type { EmulatorSettings } from "@kpi-pipeline/cdf-emulator";
import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { functionMain } from "../src/functionMain.js";

// An emulator with one input series of a point a minute, and a directory laid out as the zip
// (kpis.yaml beside the bundle), for running functionMain in-process as handler.py would run node.

export const T0 = Date.parse("2024-04-01T00:00:00Z");
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export const KPIS_YAML = `
defaults: { settle: 5m, start: "2024-04-01T00:00:00Z" }
kpis:
  - externalId: kpi:flow:mean:10m
    window: { every: 10m }
    inputs: { flow: { externalId: in:flow } }
    value: mean(flow)
  - externalId: kpi:flow:count:1h
    window: { every: 1h }
    inputs: { flow: { externalId: in:flow } }
    value: count(flow)
`;

export interface FunctionSite {
  t: TestEmulator;
  dir: string;
  /** The token the last call was given. */
  readonly token: string;
  /** Inserts the input's points for minutes [from, to) (value = minute of the day). */
  feed(from: number, to: number): Promise<void>;
  point(version: { functionExternalId: string; epoch: number } | undefined): Promise<void>;
  /** Runs functionMain with this payload text (default: a call with `data`) and environment. */
  call(options?: {
    data?: unknown;
    stdin?: string;
    env?: Record<string, string>;
    token?: string;
    callInfo?: Record<string, unknown>;
  }): Promise<{ code: number; stdout: string; stderr: string; result: Record<string, unknown> }>;
  outputs(externalId: string): Promise<Array<{ timestamp: number; value?: number }>>;
  close(): Promise<void>;
}

export async function startFunctionSite(options: {
  clock: number;
  yaml?: string;
  settings?: Partial<EmulatorSettings>;
}): Promise<FunctionSite> {
  const t = await createTestEmulator({
    project: "fn",
    clock: new Date(options.clock).toISOString(),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
  const dir = await mkdtemp(join(tmpdir(), "kpi-function-"));
  await writeFile(join(dir, "kpis.yaml"), options.yaml ?? KPIS_YAML);
  await t.client.timeseries.create([{ externalId: "in:flow" }]);
  // Tokens expire on the virtual clock (1 h): every use gets a fresh one, as every CDF call does.
  const documents = async () => {
    const token = t.emulator.control.token();
    const cdf = await connectCdf(
      cdfSettingsFromToken({ project: t.emulator.project, baseUrl: t.emulator.baseUrl, token }),
    );
    return new RawDocumentStore(cdf, DEFAULT_STATE_LOCATION);
  };
  let lastToken = "";
  const site: FunctionSite = {
    t,
    dir,
    get token() {
      return lastToken;
    },
    async feed(from, to) {
      const datapoints = [];
      for (let ts = from; ts < to; ts += MINUTE)
        datapoints.push({ timestamp: ts, value: (ts / MINUTE) % 1440 });
      await t.client.datapoints.insert([{ externalId: "in:flow", datapoints }]);
    },
    async point(version) {
      if (version === undefined) {
        await t.client.raw.deleteRows(DEFAULT_STATE_LOCATION.db, DEFAULT_STATE_LOCATION.table, [
          { key: ACTIVE_VERSION_KEY },
        ]);
      } else await (await documents()).put(ACTIVE_VERSION_KEY, { ...version, previous: null });
    },
    async call(call = {}) {
      const payload =
        call.stdin ??
        JSON.stringify({
          data: call.data ?? { mode: "scheduled" },
          function_call_info: call.callInfo ?? { function_id: 1, call_id: 1 },
          project: t.emulator.project,
          baseUrl: t.emulator.baseUrl,
          token: call.token ?? (lastToken = t.emulator.control.token()),
        });
      let stdout = "";
      let stderr = "";
      const code = await functionMain({
        stdin: [Buffer.from(payload)],
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          stderr += text;
        },
        env: call.env ?? { KPI_FUNCTION_EPOCH: "1", KPI_FUNCTION_EXTERNAL_ID: "kpi-function" },
        dir,
      });
      return { code, stdout, stderr, result: JSON.parse(stdout) as Record<string, unknown> };
    },
    async outputs(externalId) {
      const items = await t.client.datapoints.retrieve({
        items: [{ externalId }],
        start: 0,
        end: Date.parse("2100-01-01T00:00:00Z"),
        limit: 10_000,
        includeStatus: true,
        ignoreBadDataPoints: false,
        ignoreUnknownIds: true,
      } as never);
      return (items[0]?.datapoints ?? []).map((d) => ({
        timestamp: (d.timestamp as Date).getTime(),
        ...("value" in d && d.value !== undefined ? { value: d.value as number } : {}),
      }));
    },
    async close() {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return site;
}
