import type { KpiRunReport, RunReport } from "@kpi-pipeline/kpi-core";
import fc from "fast-check";
import { expect, it } from "vitest";
import { functionResult, MAX_LISTED, MAX_RESULT_BYTES } from "../src/functionResult.js";

// CDF refuses a response over 1 MB: whatever the run reports, the result stays under it, its
// totals are the sums of every KPI, and cut lists say how much they left out.

const summary = fc.record({
  due: fc.nat(100_000),
  dirty: fc.nat(100_000),
  backlog: fc.nat(100_000),
  pendingSpans: fc.nat(100),
  pointsRead: fc.nat(1e9),
  error: fc.option(fc.string({ maxLength: 5_000 }), { nil: undefined }),
});

const report = fc.array(summary, { maxLength: 3_000 }).map(
  (summaries): RunReport => ({
    at: 0,
    fenced: false,
    cursorsCommitted: true,
    read: { calls: 1, points: 7 },
    kpis: summaries.map(
      (s, i): KpiRunReport => ({
        key: `kpi:${"x".repeat(200)}:${i}`,
        summary: { at: 0, noValue: { noData: 1 }, requests: 1, durationMs: 1, ...s },
      }),
    ),
  }),
);

/** A KPI's run summary with these windows written and nothing left. */
function windowsWritten(due: number, dirty: number): KpiRunReport["summary"] {
  return {
    at: 0,
    due,
    dirty,
    noValue: {},
    backlog: 0,
    pendingSpans: 0,
    pointsRead: 9,
    requests: 1,
    durationMs: 1,
  };
}

/** A call's context around its run's report. */
const CALL = {
  version: "v",
  self: "f@1",
  at: 0,
  clock: "server" as const,
  budgetMs: 1,
  elapsedMs: 1,
  requests: 1,
};

it("stays under 1 MB with totals over every KPI", () => {
  fc.assert(
    fc.property(report, (run) => {
      const result = functionResult({ ...CALL, data: { mode: "scheduled" }, report: run });
      expect(new TextEncoder().encode(JSON.stringify(result)).length).toBeLessThan(MAX_RESULT_BYTES);
      const failed = run.kpis.filter((k) => k.summary.error !== undefined).length;
      expect(result.kpis.total).toBe(run.kpis.length);
      expect(result.kpis.failed).toBe(failed);
      expect(result.kpis.due).toBe(run.kpis.reduce((n, k) => n + k.summary.due, 0));
      // The run's own count, not the per-KPI counts summed (a shared read counts once).
      expect(result.kpis.pointsRead).toBe(run.read.points);
      expect(result.kpis.noValue).toEqual(run.kpis.length === 0 ? {} : { noData: run.kpis.length });
      expect(result.failures.length).toBe(Math.min(MAX_LISTED, failed));
      expect(result.omitted?.failures ?? 0).toBe(Math.max(0, failed - MAX_LISTED));
      const behind = run.kpis.filter((k) => k.summary.backlog > 0 || k.summary.pendingSpans > 0).length;
      expect(result.status).toBe(failed > 0 || behind > 0 ? "incomplete" : "completed");
      // The message names what applies, and no count of nothing.
      if (result.status === "incomplete") {
        expect(result.message.includes("failed")).toBe(failed > 0);
        expect(result.message.includes("windows left")).toBe(behind > 0);
        expect(result.message).not.toMatch(/\b0 KPIs/);
      }
    }),
    { numRuns: 30 },
  );
});

it("says fenced and deadline as such", () => {
  const base = {
    data: { mode: "scheduled" as const },
    version: "v",
    self: "f@1",
    at: 0,
    clock: "wall" as const,
    budgetMs: 1,
    elapsedMs: 1,
    requests: 3,
  };
  const atStart = functionResult({
    ...base,
    report: { at: 0, fenced: true, cursorsCommitted: false, kpis: [], read: { calls: 0, points: 0 } },
  });
  expect(atStart.status).toBe("fenced");
  expect(atStart.message).toBe(
    "The active-version pointer does not name f@1, or was written during this call (a deploy or a rollback): nothing was written.",
  );
  // Fenced at a later pointer check, after a batch landed: the message does not say nothing was written.
  const summary = windowsWritten(4, 0);
  const later = functionResult({
    ...base,
    report: {
      at: 0,
      fenced: true,
      cursorsCommitted: false,
      kpis: [{ key: "k", summary }],
      read: { calls: 1, points: 9 },
    },
  });
  expect(later.status).toBe("fenced");
  expect(later.message).toMatch(
    /: it stopped after 4 due and 0 recomputed windows over 1 KPIs; what it wrote or deleted before that stays, for the active version's runs to check\.$/,
  );
  // Fenced at its first batch: no window written, but a backfill may have deleted and marked already.
  const first = functionResult({
    ...base,
    report: {
      at: 0,
      fenced: true,
      cursorsCommitted: false,
      kpis: [{ key: "k", summary: windowsWritten(0, 0) }],
      read: { calls: 0, points: 0 },
    },
  });
  expect(first.message).not.toMatch(/nothing was written/);
  expect(functionResult({ ...base, report: undefined })).toMatchObject({
    status: "deadline",
    cursorsCommitted: false,
  });
});

it("a backfill that leaves a changed definition short of its whole history says it waits", () => {
  const kpi = (key: string, complete: boolean | undefined): KpiRunReport => ({
    key,
    summary: windowsWritten(0, 3),
    recompute: {
      from: 0,
      to: 3,
      written: true,
      removed: 2,
      ...(complete === undefined ? {} : { changedDefinition: { configHash: "h", done: [], complete } }),
    },
  });
  const result = (kpis: KpiRunReport[]) =>
    functionResult({
      ...CALL,
      data: { mode: "backfill", from: 0, to: 3 },
      report: { at: 0, fenced: false, cursorsCommitted: false, kpis, read: { calls: 1, points: 9 } },
    });
  const waiting = result([kpi("a", undefined), kpi("b", false), kpi("c", true)]);
  expect(waiting.status).toBe("incomplete");
  expect(waiting.backfill).toMatchObject({ kpis: 3, complete: 3, removed: 6, waiting: ["b"] });
  expect(waiting.message).toBe(
    "Wrote 0 due and 9 recomputed windows over 3 KPIs; 1 KPIs with a changed definition wait for a backfill of the rest of their history (see backfill.waiting).",
  );
  const done = result([kpi("a", undefined), kpi("c", true)]);
  expect(done.status).toBe("completed");
  expect(done.backfill!.waiting).toEqual([]);
});

it("an incomplete call names only what applies: a KPI with changed windows kept pending, and none due left", () => {
  const result = functionResult({
    ...CALL,
    data: { mode: "scheduled" },
    report: {
      at: 0,
      fenced: false,
      cursorsCommitted: true,
      read: { calls: 1, points: 7 },
      kpis: [
        {
          key: "kpi:a",
          summary: {
            at: 0,
            due: 1,
            dirty: 0,
            noValue: {},
            backlog: 0,
            pendingSpans: 2,
            pointsRead: 7,
            requests: 1,
            durationMs: 1,
          },
        },
      ],
    },
  });
  expect(result.status).toBe("incomplete");
  expect(result.message).toBe(
    "Wrote 1 due and 0 recomputed windows over 1 KPIs; 1 KPIs have windows left for the next call (see backlogged).",
  );
});
