import { type KpiDefinition, windowsBetween } from "@kpi-pipeline/kpi-core";
import type { KpiRow } from "./kpiRow.js";

/**
 * Holes: windows missing before a KPI's latest datapoint. The run trusts the latest datapoint to
 * prove every earlier window written (design.md, step 2), so a hole would never be filled. One
 * line per KPI with holes; empty when there are none.
 */
export function kpiHoles(
  kpis: readonly KpiDefinition[],
  outputs: ReadonlyMap<string, readonly KpiRow[]>,
): string[] {
  const lines: string[] = [];
  for (const kpi of kpis) {
    const rows = outputs.get(kpi.key) ?? [];
    if (rows.length === 0) continue;
    const present = new Set(rows.map((r) => r[0]));
    const last = rows[rows.length - 1]![0];
    const missing = windowsBetween(kpi.window, kpi.startMs!, last + 1)
      .filter((w) => w.start <= last && !present.has(w.start))
      .map((w) => new Date(w.start).toISOString());
    if (missing.length > 0)
      lines.push(
        `${kpi.key}: ${missing.length} holes (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""})`,
      );
  }
  return lines;
}
