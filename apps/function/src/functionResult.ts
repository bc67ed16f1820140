import type { RunReport } from "@kpi-pipeline/kpi-core";
import type { CallData } from "./callData.js";
import type { DryRunDifference, DryRunSeries } from "./dryRunPorts.js";

// The call's result, as CDF stores and shows it: a summary that stays far below CDF's 1 MB
// response limit however many KPIs there are. Lists are cut to their first entries with the
// number left out; every KPI's full summary is in the logs (one line per KPI).

/** CDF refuses a function response above 1 MB; the result stays well below it. */
export const MAX_RESULT_BYTES = 1_000_000;
/** Entries kept of each list in the result. */
export const MAX_LISTED = 50;
/** Characters kept of each error message in the result. */
export const MAX_MESSAGE_CHARS = 300;

export type FunctionStatus = "completed" | "incomplete" | "fenced" | "deadline";

export interface FunctionResult {
  /** completed: all done; incomplete: backlog, pending or failed KPIs left for the next call; fenced: another version is active, nothing written; deadline: stopped before CDF's timeout, the next call continues. */
  status: FunctionStatus;
  message: string;
  mode: CallData["mode"];
  version: string;
  self: string;
  /** The run's now (ISO 8601) and where it came from. */
  at: string;
  clock: "server" | "wall";
  budgetSeconds: number;
  elapsedSeconds: number;
  /** HTTP requests made to CDF, the SDK's retries included. */
  requests: number;
  cursorsCommitted: boolean;
  kpis: {
    total: number;
    failed: number;
    withBacklog: number;
    due: number;
    dirty: number;
    backlog: number;
    pendingSpans: number;
    /** Points the run read from CDF, all KPIs together (RunReport.read). */
    pointsRead: number;
    noValue: Record<string, number>;
  };
  failures: Array<{ kpi: string; error: string }>;
  backlogged: string[];
  /** How many entries each cut list left out. */
  omitted?: Record<string, number>;
  backfill?: {
    from: string;
    to: string;
    kpis: number;
    complete: number;
    incomplete: string[];
    /** Datapoints deleted: an earlier definition's, off the rewritten windows. */
    removed: number;
    /**
     * KPIs whose definition changed and whose recompute does not yet cover their whole history:
     * the scheduled runs leave them alone until a backfill (of the rest) completes it.
     */
    waiting: string[];
  };
  dryRun?: {
    points: number;
    new: number;
    differing: number;
    series: DryRunSeries[];
    differences: DryRunDifference[];
  };
}

export interface ResultContext {
  data: CallData;
  version: string;
  self: string;
  at: number;
  clock: "server" | "wall";
  budgetMs: number;
  elapsedMs: number;
  requests: number;
  /** Undefined when the deadline stopped the run before it reported. */
  report: RunReport | undefined;
  dryRun?: { series: readonly DryRunSeries[]; differences: readonly DryRunDifference[] };
}

export function functionResult(context: ResultContext): FunctionResult {
  const { report, data } = context;
  const omitted: Record<string, number> = {};
  const cut = <T>(name: string, list: readonly T[]): T[] => {
    if (list.length > MAX_LISTED) omitted[name] = list.length - MAX_LISTED;
    return list.slice(0, MAX_LISTED);
  };
  const kpis = report?.kpis ?? [];
  const totals: FunctionResult["kpis"] = {
    total: kpis.length,
    failed: 0,
    withBacklog: 0,
    due: 0,
    dirty: 0,
    backlog: 0,
    pendingSpans: 0,
    pointsRead: 0,
    noValue: {},
  };
  for (const { summary } of kpis) {
    if (summary.error !== undefined) totals.failed++;
    if (summary.backlog > 0) totals.withBacklog++;
    totals.due += summary.due;
    totals.dirty += summary.dirty;
    totals.backlog += summary.backlog;
    totals.pendingSpans += summary.pendingSpans;
    for (const [reason, n] of Object.entries(summary.noValue))
      totals.noValue[reason] = (totals.noValue[reason] ?? 0) + n;
  }
  // The run's own total: a KPI's summary counts every read of a batch it shared with others.
  totals.pointsRead = context.report?.read.points ?? 0;
  const failures = cut(
    "failures",
    kpis.flatMap(({ key, summary }) =>
      summary.error === undefined ? [] : [{ kpi: key, error: clip(summary.error) }],
    ),
  );
  const behind = kpis.filter(({ summary }) => summary.backlog > 0 || summary.pendingSpans > 0);
  const backlogged = cut(
    "backlogged",
    behind.map(({ key }) => key),
  );
  let backfill: FunctionResult["backfill"];
  if (data.mode === "backfill") {
    const incomplete = kpis
      .filter((k) => k.recompute !== undefined && !k.recompute.written)
      .map((k) => k.key);
    backfill = {
      from: new Date(data.from).toISOString(),
      to: new Date(data.to).toISOString(),
      kpis: kpis.length,
      complete: kpis.length - incomplete.length,
      incomplete: cut("incomplete", incomplete),
      removed: kpis.reduce((sum, k) => sum + (k.recompute?.removed ?? 0), 0),
      waiting: cut(
        "waiting",
        kpis
          .filter(
            (k) => k.recompute?.changedDefinition !== undefined && !k.recompute.changedDefinition.complete,
          )
          .map((k) => k.key),
      ),
    };
  }
  let dryRun: FunctionResult["dryRun"];
  if (context.dryRun !== undefined) {
    const series = context.dryRun.series;
    dryRun = {
      points: sum(series.map((s) => s.points)),
      new: sum(series.map((s) => s.new)),
      differing: sum(series.map((s) => s.differing)),
      series: cut("dryRunSeries", series),
      differences: [...context.dryRun.differences],
    };
  }
  const status: FunctionStatus =
    report === undefined
      ? "deadline"
      : report.fenced
        ? "fenced"
        : totals.failed > 0 ||
            backlogged.length > 0 ||
            (backfill !== undefined && (backfill.incomplete.length > 0 || backfill.waiting.length > 0))
          ? "incomplete"
          : "completed";
  const result: FunctionResult = {
    status,
    message: messageOf(status, context, totals, behind.length, dryRun, backfill),
    mode: data.mode,
    version: context.version,
    self: context.self,
    at: new Date(context.at).toISOString(),
    clock: context.clock,
    budgetSeconds: round(context.budgetMs / 1000),
    elapsedSeconds: round(context.elapsedMs / 1000),
    requests: context.requests,
    cursorsCommitted: report?.cursorsCommitted ?? false,
    kpis: totals,
    failures,
    backlogged,
    ...(Object.keys(omitted).length > 0 ? { omitted } : {}),
    ...(backfill === undefined ? {} : { backfill }),
    ...(dryRun === undefined ? {} : { dryRun }),
  };
  return result;
}

function messageOf(
  status: FunctionStatus,
  context: ResultContext,
  totals: FunctionResult["kpis"],
  behind: number,
  dryRun: FunctionResult["dryRun"],
  backfill: FunctionResult["backfill"],
): string {
  const written = context.data.mode === "dry-run" ? "would write" : "wrote";
  const work = `${totals.due} due and ${totals.dirty} recomputed windows over ${totals.total} KPIs`;
  switch (status) {
    case "fenced": {
      // Fenced at the start (no KPI reported), or at a later pointer check: by then batches, a
      // backfill's deletes and its progress mark may have landed, even ones whose call failed.
      const what =
        totals.total === 0
          ? "nothing was written"
          : `it stopped after ${work}; what it wrote or deleted before that stays, for the active version's runs to check`;
      return `The active-version pointer does not name ${context.self}, or was written during this call (a deploy or a rollback): ${what}.`;
    }
    case "deadline":
      return `Stopped at the deadline after ${round(context.elapsedMs / 1000)} s, before CDF's timeout; what was written stays, and the next call continues from there.`;
    case "incomplete": {
      // Only what applies: "0 KPIs failed" says nothing, and reads as if something did.
      const parts: string[] = [];
      if (totals.failed > 0) parts.push(`${totals.failed} KPIs failed (see failures)`);
      // Due windows not reached, or changed ones kept pending: the next call computes both.
      if (behind > 0) parts.push(`${behind} KPIs have windows left for the next call (see backlogged)`);
      const waiting = backfill?.waiting.length ?? 0;
      if (waiting > 0)
        parts.push(
          `${waiting}${waiting === MAX_LISTED ? " or more" : ""} KPIs with a changed definition wait for a backfill of the rest of their history (see backfill.waiting)`,
        );
      const incomplete = backfill?.incomplete.length ?? 0;
      if (parts.length === 0 && incomplete > 0)
        parts.push(`${incomplete} KPIs are not recomputed over the whole range (see backfill.incomplete)`);
      if (parts.length === 0) parts.push("see each KPI's summary in the logs");
      return `${capitalized(written)} ${work}; ${parts.join("; ")}.`;
    }
    default:
      return dryRun === undefined
        ? `${capitalized(written)} ${work}; all are up to date.`
        : `Would write ${dryRun.points} datapoints (${dryRun.new} new, ${dryRun.differing} differing from what is stored); nothing was written.`;
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 3)}...` : text;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
