import type { KpiState, StateStore } from "@kpi-pipeline/kpi-core";
import { z } from "zod";
import type { RawDocumentStore } from "./rawDocumentStore.js";

// kpi-core's StateStore in Raw: one row per KPI (`kpi:<key>`: config hash, live-since, pending
// dirty spans, last run summary) and one per subscription partition (`cursor:<subscription>:<n>`).
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
});

const cursorSchema = z.object({ cursor: z.string() });

export class RawStateStore implements StateStore {
  readonly #store: RawDocumentStore;

  constructor(store: RawDocumentStore) {
    this.#store = store;
  }

  async getKpiState(kpiKey: string): Promise<KpiState | undefined> {
    const state = await this.#store.get(kpiStateKey(kpiKey), kpiStateSchema);
    return state === undefined ? undefined : withoutUndefined(state);
  }

  putKpiState(kpiKey: string, state: KpiState): Promise<void> {
    return this.#store.put(kpiStateKey(kpiKey), state);
  }

  async getCursor(subscription: string, partition: number): Promise<string | undefined> {
    return (await this.#store.get(cursorKey(subscription, partition), cursorSchema))?.cursor;
  }

  putCursor(subscription: string, partition: number, cursor: string): Promise<void> {
    return this.#store.put(cursorKey(subscription, partition), { cursor });
  }
}

/** The Raw row key of a KPI's state. */
export function kpiStateKey(kpiKey: string): string {
  return `kpi:${kpiKey}`;
}

/** The Raw row key of a subscription partition's cursor. */
export function cursorKey(subscription: string, partition: number): string {
  return `cursor:${subscription}:${partition}`;
}

// exactOptionalPropertyTypes: zod's optional fields come back as `T | undefined`.
function withoutUndefined(state: z.infer<typeof kpiStateSchema>): KpiState {
  return JSON.parse(JSON.stringify(state)) as KpiState;
}
