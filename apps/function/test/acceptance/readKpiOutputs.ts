import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { type KpiDefinition, STATUS_GOOD } from "@kpi-pipeline/kpi-core";
import type { KpiRow } from "./kpiRow.js";
import { readAllPoints } from "./readAllPoints.js";

/** What each KPI's output series holds now, keyed like evaluate's results (a missing series reads as empty). */
export async function readKpiOutputs(
  t: Pick<TestEmulator, "emulator" | "client">,
  kpis: readonly KpiDefinition[],
): Promise<Map<string, KpiRow[]>> {
  const outputs = new Map<string, KpiRow[]>();
  for (const kpi of kpis) {
    const points = await readAllPoints(t, kpi.series);
    outputs.set(
      kpi.key,
      points.map((p): KpiRow => [p.timestamp, p.value, p.status === STATUS_GOOD ? "Good" : "Bad"]),
    );
  }
  return outputs;
}
