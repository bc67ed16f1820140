import type { ExprNode, InputSpec, SeriesRef, WindowSpec } from "./model.js";

/** One KPI as kpis.yaml defines it, checked and normalized by parseKpiConfig. */
export interface KpiDefinition {
  /** The output time series. */
  series: SeriesRef;
  /** externalId or `space:externalId` of the output, for messages and sorting. */
  key: string;
  name: string | undefined;
  description: string | undefined;
  unit: string | undefined;
  window: WindowSpec;
  settleMs: number;
  /**
   * Start of the first window (epoch ms, aligned to the window grid by normalizeKpi). Undefined:
   * the KPI is live from its first run (its first window is the first that closes after that run;
   * history is the backfill's job).
   */
  startMs: number | undefined;
  inputs: readonly InputSpec[];
  /** The expression as written. */
  value: string;
  expression: ExprNode;
  /** Stable hash of everything that changes the KPI's numbers (not name/description). */
  configHash: string;
}
