import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ACTIVE_VERSION_KEY,
  type CdfConnection,
  cdfSettingsFromEnvironment,
  connectCdf,
  DEFAULT_STATE_LOCATION,
  RawDocumentStore,
} from "@kpi-pipeline/cdf";
import type { EmulatorSettings } from "@kpi-pipeline/cdf-emulator";
import { createTestEmulator, type TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type KpiDefinition, parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { type DeployedFunction, deployFunction } from "./deployFunction.js";
import { expectedByEvaluate } from "./expectedByEvaluate.js";
import { type FunctionCall, functionCalls } from "./functionCalls.js";
import { insertPoints } from "./insertPoints.js";
import { kpiDifferences } from "./kpiDifferences.js";
import { PLANT, type PlantSeries, plantPoints } from "./plant.js";
import { readKpiOutputs } from "./readKpiOutputs.js";
import { scheduleFunction } from "./scheduleFunction.js";

export const KPIS_YAML = fileURLToPath(new URL("kpis.yaml", import.meta.url));
export const KPIS: readonly KpiDefinition[] = parseKpiYaml(readFileSync(KPIS_YAML, "utf8"));
/** Local midnight in Oslo starting 2024-03-31, the 23-hour day: every KPI's `start`. */
export const T0 = Date.parse("2024-03-30T23:00:00Z");
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const SETTLE = 5 * MINUTE;

const COGNITE_TIME_SERIES = {
  type: "view",
  space: "cdf_cdm",
  externalId: "CogniteTimeSeries",
  version: "v1",
} as const;

export interface PlantOnEmulator {
  t: TestEmulator;
  cdf: CdfConnection;
  fn: DeployedFunction;
  /** Points of every input with timestamps before this have been written. */
  fedUntil: number;
  /** Writes every input's points in [fedUntil, until) (those of `held` series are left out: they come late). */
  feed(until: number, held?: ReadonlySet<PlantSeries>): Promise<void>;
  /** Moves the virtual clock; the scheduler starts (and awaits) a call at every tick on the way. */
  advance(by: number): Promise<void>;
  /** Moves the virtual clock to `time`, the same way. */
  advanceTo(time: number): Promise<void>;
  calls(): Promise<FunctionCall[]>;
  /** Sets the active-version pointer. */
  point(version: { functionExternalId: string; epoch: number }): Promise<void>;
  /** Every way the outputs differ from `kpi-backfill evaluate` over the inputs as they are now; empty when none. */
  differencesFromEvaluate(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * An emulator with the plant's six inputs (four by externalId, two data-model series by
 * instanceId) holding their points up to `historyUntil`, the zip deployed as `externalId` through
 * the API, the pointer naming it, and a schedule every 10 minutes: the steady state of a site
 * running the function.
 */
export async function startPlantOnEmulator(options: {
  zip: Uint8Array;
  project: string;
  /** The virtual clock at deploy time; the schedule's first tick is the next 10-minute mark. */
  clock: number;
  historyFrom: number;
  historyUntil: number;
  externalId?: string;
  epoch?: number;
  scheduleData?: unknown;
  settings?: Partial<EmulatorSettings>;
}): Promise<PlantOnEmulator> {
  const t = await createTestEmulator({
    project: options.project,
    clock: new Date(options.clock).toISOString(),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
  const cdf = await connectCdf(
    cdfSettingsFromEnvironment({
      CDF_PROJECT: t.emulator.project,
      CDF_BASE_URL: t.emulator.baseUrl,
      CDF_CLIENT_ID: t.emulator.clientId,
      CDF_CLIENT_SECRET: t.emulator.clientSecret,
      CDF_TOKEN_URL: t.emulator.tokenUrl,
    }),
  );
  const byExternalId = PLANT.filter((s) => "externalId" in s.ref);
  await t.client.timeseries.create(
    byExternalId.map((s) => ({ externalId: (s.ref as { externalId: string }).externalId, isStep: s.isStep })),
  );
  // Data-model series are CogniteTimeSeries nodes, made through data modeling as in CDF.
  // The space of the data-model output exists, as a deployer makes sure (the run does not create spaces).
  await t.client.spaces.upsert([{ space: "plant" }, { space: "kpi_outputs" }]);
  await t.client.instances.upsert({
    items: PLANT.flatMap((s) =>
      "instanceId" in s.ref
        ? [
            {
              instanceType: "node" as const,
              ...s.ref.instanceId,
              sources: [{ source: COGNITE_TIME_SERIES, properties: { type: "numeric", isStep: s.isStep } }],
            },
          ]
        : [],
    ),
  });
  const documents = new RawDocumentStore(cdf, DEFAULT_STATE_LOCATION);
  const externalId = options.externalId ?? "kpi-function";
  const site: PlantOnEmulator = {
    t,
    cdf,
    fn: { id: 0, externalId },
    fedUntil: options.historyFrom,
    async feed(until, held) {
      const from = site.fedUntil;
      await insertPoints(
        t,
        PLANT.filter((s) => !held?.has(s)).map((s) => ({ ref: s.ref, points: plantPoints(s, from, until) })),
      );
      site.fedUntil = until;
    },
    async advance(by) {
      await t.emulator.control.advanceClock(by);
    },
    async advanceTo(time) {
      await t.emulator.control.setClock(time);
    },
    calls: () => functionCalls(t, site.fn),
    async point(version) {
      await documents.put(ACTIVE_VERSION_KEY, { ...version, previous: null });
    },
    async differencesFromEvaluate() {
      const now = t.emulator.control.now();
      const expected = await expectedByEvaluate(t, {
        configPath: KPIS_YAML,
        inputs: PLANT.map((s) => s.ref),
        from: T0,
        to: now - SETTLE,
      });
      return kpiDifferences(await readKpiOutputs(t, KPIS), expected);
    },
    close: () => t.close(),
  };
  await site.feed(options.historyUntil);
  // The deployer sets the epoch its pointer flip writes; the function looks up its externalId itself.
  site.fn = await deployFunction(t, options.zip, {
    externalId,
    envVars: { KPI_FUNCTION_EPOCH: String(options.epoch ?? 1) },
  });
  await site.point({ functionExternalId: externalId, epoch: options.epoch ?? 1 });
  await scheduleFunction(t, site.fn, {
    cronExpression: "*/10 * * * *",
    data: options.scheduleData ?? { mode: "scheduled" },
  });
  return site;
}
