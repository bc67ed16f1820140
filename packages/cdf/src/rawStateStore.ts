import type {
  KpiState,
  PendingRecord,
  RecomputeProgress,
  StateSave,
  StateStore,
  StoredState,
} from "@kpi-pipeline/kpi-core";
import { z } from "zod";
import { documentBytes, MAX_DOCUMENT_BYTES, type RawDocumentStore } from "./rawDocumentStore.js";

// kpi-core's StateStore in Raw: one row per KPI (`kpi:<key>`: config hash, live-since, pending
// dirty spans, last run summary), one per KPI with a recompute of a changed definition under way
// (`recompute:<key>`), one per subscription partition (`cursor:<subscription>:<n>`), and one per
// run that left work pending or is running (`pending:<run id>`: see kpi-core's PendingRecord; its
// spans left, openSince while it runs, and its plan once known). A run loads them
// all with one GET rows and saves each checkpoint with one insert (and one delete of the pending
// rows it took over).
// Rows are read through zod, so a hand-edited or foreign row is a RawDocumentError naming the row
// and the field instead of a run that silently does the wrong thing. Everything else a run
// needs to know is in the output series themselves (design.md, "State").

const spanSchema = z.object({ from: z.number(), to: z.number() });

// Not z.record: it copies into a fresh object by assignment, which drops a key named "__proto__".
const countsByReason = z.custom<Record<string, number>>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((n) => typeof n === "number"),
  { message: "must map each reason to a number of windows" },
);

const runSummarySchema = z.object({
  at: z.number(),
  due: z.number(),
  dirty: z.number(),
  noValue: countsByReason,
  backlog: z.number(),
  pendingSpans: z.number(),
  pointsRead: z.number(),
  requests: z.number(),
  durationMs: z.number(),
  error: z.string().optional(),
});

export const kpiStateSchema = z.object({
  configHash: z.string(),
  liveSince: z.number().optional(),
  pending: z.array(spanSchema).optional(),
  lastRun: runSummarySchema.optional(),
  sealed: z.string().optional(),
});

const cursorSchema = z.object({ cursor: z.string() });

/**
 * What to do about a state row that does not parse. Deleting one loses what only it says, and
 * the runs would go on without it: only a backfill puts that right.
 */
const ADVICE = {
  kpi: "It is the KPI's state (the definition its datapoints were computed with): restore it. Deleted, the runs would trust the output as computed with the definition they run; delete it only with a backfill of the KPI's whole history.",
  pending:
    "It is a run's pending work (windows still to recompute): restore it. Deleted, those windows keep their old values; delete it only with a backfill of the KPIs it names over the time it covers.",
  cursor:
    "It is a subscription cursor: restore it. Deleted, the changes since it are skipped; delete it only with a backfill of the KPIs over the time since their last good run.",
  recompute:
    "It is a backfill's progress: deleting it is safe, and the backfill of that KPI then starts over.",
};

export const recomputeProgressSchema = z.object({
  configHash: z.string(),
  replaces: z.string(),
  done: z.array(spanSchema),
  mark: z.string().optional(),
  afterSeal: z.string().optional(),
  generation: z.string().optional(),
});

// Lists of pairs, not objects keyed by KPI: a KPI key may be "__proto__".
const spansByKpiSchema = z.array(z.object({ key: z.string(), spans: z.array(spanSchema) }));
const pendingRecordSchema = z.object({
  kpis: spansByKpiSchema,
  // Set while the run that put the record runs (kpi-core's PendingRecord.openSince).
  openSince: z.number().optional(),
  // Every window the run may write (kpi-core's PendingRecord.planned); absent: not known (a run
  // still planning, or a row of a version before plans).
  planned: spansByKpiSchema.optional(),
  // The version whose run put the record (kpi-core's PendingRecord.by); absent in older rows.
  by: z.string().optional(),
});

const PENDING_PREFIX = "pending:";

export class RawStateStore implements StateStore {
  readonly #store: RawDocumentStore;

  constructor(store: RawDocumentStore) {
    this.#store = store;
  }

  /** One GET rows per 10,000 rows of the table, whatever the number of KPIs. */
  async load(kpiKeys: readonly string[], subscription: string): Promise<StoredState> {
    const kpiOf = new Map(kpiKeys.map((key) => [kpiStateKey(key), key]));
    const recomputeOf = new Map(kpiKeys.map((key) => [recomputeKey(key), key]));
    const cursorPrefix = cursorKey(subscription, 0).slice(0, -1);
    const partitionOf = (rowKey: string): number | undefined => {
      if (!rowKey.startsWith(cursorPrefix)) return undefined;
      const rest = rowKey.slice(cursorPrefix.length);
      return /^(0|[1-9][0-9]{0,8})$/.test(rest) ? Number(rest) : undefined;
    };
    const documents = await this.#store.getAll(
      (rowKey) =>
        kpiOf.has(rowKey) ||
        recomputeOf.has(rowKey) ||
        partitionOf(rowKey) !== undefined ||
        rowKey.startsWith(PENDING_PREFIX),
    );
    const pending: PendingRecord[] = [];
    const kpis = new Map<string, KpiState>();
    const recomputes = new Map<string, RecomputeProgress>();
    const cursors = new Map<number, string>();
    for (const [rowKey, document] of documents) {
      const kpi = kpiOf.get(rowKey);
      const recomputed = recomputeOf.get(rowKey);
      if (rowKey.startsWith(PENDING_PREFIX)) {
        const record = this.#store.check(rowKey, document, pendingRecordSchema, ADVICE.pending);
        pending.push({
          id: rowKey.slice(PENDING_PREFIX.length),
          kpis: new Map(record.kpis.map(({ key, spans }) => [key, spans])),
          ...(record.openSince === undefined ? {} : { openSince: record.openSince }),
          ...(record.planned === undefined
            ? {}
            : { planned: new Map(record.planned.map(({ key, spans }) => [key, spans])) }),
          ...(record.by === undefined ? {} : { by: record.by }),
        });
      } else if (kpi !== undefined) {
        kpis.set(kpi, withoutUndefined(this.#store.check(rowKey, document, kpiStateSchema, ADVICE.kpi)));
      } else if (recomputed !== undefined) {
        recomputes.set(
          recomputed,
          this.#store.check(rowKey, document, recomputeProgressSchema, ADVICE.recompute),
        );
      } else {
        cursors.set(
          partitionOf(rowKey)!,
          this.#store.check(rowKey, document, cursorSchema, ADVICE.cursor).cursor,
        );
      }
    }
    return { kpis, recomputes, cursors, pending };
  }

  /** One insert per 10,000 rows (or about 5 MiB) of what is saved; removals, one delete per 10,000. */
  async save(entries: StateSave): Promise<void> {
    const rows: Array<[string, unknown]> = [];
    for (const [key, state] of entries.kpis ?? []) rows.push([kpiStateKey(key), state]);
    for (const [key, progress] of entries.recomputes ?? []) rows.push([recomputeKey(key), progress]);
    if (entries.cursors !== undefined) {
      const { subscription, cursors } = entries.cursors;
      for (const { partition, cursor } of cursors)
        rows.push([cursorKey(subscription, partition), { cursor }]);
    }
    const record = entries.pending?.put;
    if (record !== undefined) {
      const spans = {
        kpis: [...record.kpis].map(([key, spans]) => ({ key, spans })),
        ...(record.openSince === undefined ? {} : { openSince: record.openSince }),
        ...(record.by === undefined ? {} : { by: record.by }),
      };
      const planned =
        record.planned === undefined
          ? spans
          : { ...spans, planned: [...record.planned].map(([key, spans]) => ({ key, spans })) };
      // A plan too large for one row (thousands of KPIs, each with many changed regions) is left
      // out: a record without a plan reads as "may write anything", which costs recomputes and
      // loses nothing, where a row refused would stop every run (review finding).
      rows.push([PENDING_PREFIX + record.id, documentBytes(planned) > MAX_DOCUMENT_BYTES ? spans : planned]);
    }
    const removed = entries.pending?.remove ?? [];
    const put = async () => {
      if (rows.length > 0) await this.#store.putAll(rows);
    };
    const remove = async () => {
      if (removed.length > 0) await this.#store.deleteAll(removed.map((id) => PENDING_PREFIX + id));
    };
    // Rows apart from the removed ones are written at the same time (a run closes its own record
    // while it saves the KPI states); a record put and removed in one save is removed after.
    if (record !== undefined && removed.includes(record.id)) {
      await put();
      await remove();
    } else {
      // Both settle before the save answers, so no request is still out when it fails.
      const [a, b] = await Promise.allSettled([put(), remove()]);
      if (a.status === "rejected") throw a.reason;
      if (b.status === "rejected") throw b.reason;
    }
  }
}

/** The Raw row key of a KPI's state. */
export function kpiStateKey(kpiKey: string): string {
  return `kpi:${kpiKey}`;
}

/** The Raw row key of a KPI's recompute progress (a row of its own: see RecomputeProgress). */
export function recomputeKey(kpiKey: string): string {
  return `recompute:${kpiKey}`;
}

/** The Raw row key of a subscription partition's cursor. */
export function cursorKey(subscription: string, partition: number): string {
  return `cursor:${subscription}:${partition}`;
}

// exactOptionalPropertyTypes: zod's optional fields come back as `T | undefined`.
function withoutUndefined(state: z.infer<typeof kpiStateSchema>): KpiState {
  return JSON.parse(JSON.stringify(state)) as KpiState;
}
