// One batch's reading and computing, overlapped. The batch's KPIs fall into groups that share no
// input series; each group is read, and while the next group's read is out (its request on the
// wire, the source preparing the answer), this one is computed. A batch whose KPIs all share an
// input is one group: read, then computed, as before. The values are the same either way: a
// KPI's windows see only its own inputs, read exactly as readInputs reads them.

import { computeKpis } from "./engine.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import type { KpiDatapoint, Window } from "./model.js";
import type { DatapointSource } from "./ports.js";
import type { ReadStats } from "./readAround.js";
import { readInputs, type SpanRequest } from "./readInputs.js";
import { seriesLookupKey } from "./series.js";

export interface BatchEntry extends SpanRequest {
  kpi: KpiDefinition;
  windows: readonly Window[];
}

/** Each entry's datapoints, in order; throws what reading or computing any group threw. */
export async function readAndCompute(
  source: DatapointSource,
  entries: readonly BatchEntry[],
  stats: ReadStats,
): Promise<KpiDatapoint[][]> {
  const results: KpiDatapoint[][] = entries.map(() => []);
  const groups = groupsSharingNoSeries(entries);
  const read = (group: readonly number[]) =>
    readInputs(
      source,
      group.map((i) => entries[i]!),
      stats,
    );
  let next = read(groups[0]!);
  for (let g = 0; g < groups.length; g++) {
    const series = await next;
    if (g + 1 < groups.length) {
      next = read(groups[g + 1]!);
      // A failed compute below must not leave this read's failure unheard.
      next.catch(() => undefined);
      // Let the next read's request go out before the computing holds the thread.
      await yieldToIo();
    }
    const group = groups[g]!;
    const computed = computeKpis(
      group.map((i) => ({ kpi: entries[i]!.kpi, windows: entries[i]!.windows })),
      series,
    );
    group.forEach((i, k) => {
      results[i] = computed[k]!;
    });
  }
  return results;
}

/** Entry indexes in groups whose KPIs share no input series, in order of their first entry. */
function groupsSharingNoSeries(entries: readonly BatchEntry[]): number[][] {
  const parent = entries.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const owner = new Map<string, number>();
  entries.forEach((entry, i) => {
    for (const spec of entry.kpi.inputs) {
      const key = seriesLookupKey(spec.series);
      const other = owner.get(key);
      if (other === undefined) owner.set(key, i);
      else parent[root(i)] = root(other);
    }
  });
  const byRoot = new Map<number, number[]>();
  entries.forEach((_, i) => {
    const r = root(i);
    const group = byRoot.get(r);
    if (group === undefined) byRoot.set(r, [i]);
    else group.push(i);
  });
  return [...byRoot.values()];
}

/** A macrotask turn: pending I/O callbacks (a request's write) run before the caller goes on. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
