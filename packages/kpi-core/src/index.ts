// The public API of kpi-core: load definitions, plan and run, compute, and the ports a runner
// implements. Internals (cleaning stages, aggregate views, the expression parser's pieces) stay
// inside; the in-memory ports are in "@kpi-pipeline/kpi-core/testing".

// The run and its ports
export { type AggregatePushdown, aggregatePushdown } from "./aggregatePushdown.js";
export { ChangesLostError } from "./changesLostError.js";
export {
  type DirtySpansRequest,
  dirtySpans,
  dirtySpansOfKpis,
  type InputChanges,
  type Span,
} from "./dirtySpans.js";
export { DurationError, formatDurationMs, parseDuration } from "./duration.js";
// Computing
export { CDF_VALUE_LIMIT, computeKpis, computeWindows, type KpiRequest } from "./engine.js";
export { ExpressionError } from "./expression.js";
export { type InputReach, inputReach } from "./inputReach.js";
// Definitions (kpis.yaml)
export { KpiConfigError, type KpiConfigIssue } from "./kpiConfigError.js";
export { ENGINE_SEMANTICS_VERSION, kpiConfigHash } from "./kpiConfigHash.js";
export { kpiConfigJsonSchema, kpiConfigJsonSchemaText } from "./kpiConfigJsonSchema.js";
export { type KpiConfigInput, kpiConfigSchema } from "./kpiConfigSchema.js";
export type { KpiDefinition } from "./kpiDefinition.js";
export type {
  CleanStep,
  InputSeries,
  InputSpec,
  IntervalAggregates,
  KpiDatapoint,
  PointColumns,
  PushedAggregates,
  SeriesRef,
  Window,
  WindowSpec,
} from "./model.js";
export { CDF_MAX_TIME, CDF_MIN_TIME, STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "./model.js";
export { parseKpiConfig } from "./parseKpiConfig.js";
export { kpiYamlDocument, MAX_KPI_YAML_DEPTH, MAX_KPI_YAML_LENGTH, parseKpiYaml } from "./parseKpiYaml.js";
export { allClosedWindows, type DueWindows, dueWindows, firstWindowStart, windowsOfSpans } from "./plan.js";
// Points
export {
  type PointArrays,
  PointColumnsBuilder,
  type PointInput,
  pointColumnsFrom,
  pointColumnsOf,
  type StatusClass,
  statusClass,
} from "./points.js";
export type {
  AggregatesAnswer,
  AggregatesRequest,
  ChangePage,
  ChangeSource,
  Clock,
  DatapointSource,
  KpiOutput,
  KpiState,
  OutputRemoval,
  OutputWrite,
  PartitionCursor,
  PendingRecord,
  PointerReading,
  PointsAnswer,
  PointsRequest,
  RecomputeProgress,
  RunSummary,
  SeriesChange,
  StateSave,
  StateStore,
  StoredState,
  TimeRange,
  VersionPointer,
} from "./ports.js";
export type { ReadStats } from "./readAround.js";
export { type ReadInputsOptions, readInputs, type SpanRequest } from "./readInputs.js";
export {
  type KpiRunReport,
  type RecomputeOption,
  type RecomputeReport,
  type RunOptions,
  type RunPorts,
  type RunReport,
  runKpis,
} from "./runKpis.js";
export { describeSeries, instanceSeriesKey, seriesLookupKey } from "./series.js";
// Windows and planning
export {
  countWindowsBetween,
  nextWindow,
  windowAtOrAfter,
  windowContaining,
  windowsBetween,
} from "./window.js";
