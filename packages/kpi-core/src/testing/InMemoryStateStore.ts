import { mergeSpans, type Span } from "../dirtySpans.js";
import type {
  KpiState,
  PendingRecord,
  RecomputeProgress,
  StateSave,
  StateStore,
  StoredState,
} from "../ports.js";

/**
 * StateStore in memory; values are copied in and out, as a real store would serialize them.
 * `loads` and `saves` count calls, so tests can hold a run to one load and few saves.
 */
export class InMemoryStateStore implements StateStore {
  private readonly states = new Map<string, KpiState>();
  private readonly recomputes = new Map<string, RecomputeProgress>();
  private readonly cursors = new Map<string, Map<number, string>>();
  private readonly pending = new Map<string, PendingRecord>();
  loads = 0;
  saves = 0;

  async load(kpiKeys: readonly string[], subscription: string): Promise<StoredState> {
    this.loads++;
    const kpis = new Map<string, KpiState>();
    const recomputes = new Map<string, RecomputeProgress>();
    for (const key of kpiKeys) {
      const state = this.states.get(key);
      if (state !== undefined) kpis.set(key, structuredClone(state));
      const progress = this.recomputes.get(key);
      if (progress !== undefined) recomputes.set(key, structuredClone(progress));
    }
    return {
      kpis,
      recomputes,
      cursors: new Map(this.cursors.get(subscription)),
      pending: [...this.pending.values()].map((record) => structuredClone(record)),
    };
  }

  async save(entries: StateSave): Promise<void> {
    this.saves++;
    for (const [key, state] of entries.kpis ?? []) this.states.set(key, structuredClone(state));
    for (const [key, progress] of entries.recomputes ?? [])
      this.recomputes.set(key, structuredClone(progress));
    if (entries.cursors !== undefined) {
      const { subscription, cursors } = entries.cursors;
      let byPartition = this.cursors.get(subscription);
      if (byPartition === undefined) this.cursors.set(subscription, (byPartition = new Map()));
      for (const { partition, cursor } of cursors) byPartition.set(partition, cursor);
    }
    if (entries.pending?.put !== undefined) {
      this.pending.set(entries.pending.put.id, structuredClone(entries.pending.put));
    }
    for (const id of entries.pending?.remove ?? []) this.pending.delete(id);
  }

  /** One KPI's pending spans over every stored pending record, merged, for tests. */
  pendingOf(key: string): Span[] {
    return mergeSpans([...this.pending.values()].flatMap((record) => record.kpis.get(key) ?? []));
  }

  /** One KPI's stored state, for tests. */
  kpiState(key: string): KpiState | undefined {
    const state = this.states.get(key);
    return state === undefined ? undefined : structuredClone(state);
  }

  /** One KPI's recompute progress, for tests. */
  recomputeProgress(key: string): RecomputeProgress | undefined {
    const progress = this.recomputes.get(key);
    return progress === undefined ? undefined : structuredClone(progress);
  }

  /** One partition's cursor, for tests. */
  cursor(subscription: string, partition: number): string | undefined {
    return this.cursors.get(subscription)?.get(partition);
  }
}
