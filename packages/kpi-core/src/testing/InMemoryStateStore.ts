import type { KpiState, StateStore } from "../ports.js";

/** StateStore in memory; values are copied in and out, as a real store would serialize them. */
export class InMemoryStateStore implements StateStore {
  private readonly states = new Map<string, KpiState>();
  private readonly cursors = new Map<string, string>();

  async getKpiState(kpiKey: string): Promise<KpiState | undefined> {
    const state = this.states.get(kpiKey);
    return state === undefined ? undefined : structuredClone(state);
  }

  async putKpiState(kpiKey: string, state: KpiState): Promise<void> {
    this.states.set(kpiKey, structuredClone(state));
  }

  async getCursor(subscription: string, partition: number): Promise<string | undefined> {
    return this.cursors.get(`${subscription}\u0000${partition}`);
  }

  async putCursor(subscription: string, partition: number, cursor: string): Promise<void> {
    this.cursors.set(`${subscription}\u0000${partition}`, cursor);
  }
}
