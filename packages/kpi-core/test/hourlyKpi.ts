import type { KpiDefinition } from "../src/kpiDefinition.js";
import { parseKpiConfig } from "../src/parseKpiConfig.js";

/** One KPI as the planning tests start from: hourly twa of input x from 2024-01-01, with overrides. */
export function hourlyKpi(overrides: Record<string, unknown> = {}): KpiDefinition {
  return parseKpiConfig({
    kpis: [
      {
        externalId: "kpi",
        window: { every: "1h" },
        start: "2024-01-01T00:00:00Z",
        inputs: { x: { externalId: "x" } },
        value: "twa(x)",
        ...overrides,
      },
    ],
  })[0]!;
}
