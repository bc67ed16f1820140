// One batch's reading and computing, overlapped. The batch's KPIs fall into groups that share no
// input series; the groups are read in a few parts, and while the next part's read is out (its
// requests on the wire, the source preparing the answer), this part is computed. Splitting costs
// requests when parts are small (a source packs many series into one request), so a part is at
// least a quarter of the batch's series, and the rest is read at once unless, at the density read
// so far, it holds at least SPLIT_MIN_POINTS. A batch whose KPIs all share an input is one part.
// The values are the same either way: a KPI's windows see only its own inputs, read exactly as
// readInputs reads them.

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

/** Each entry's datapoints, in order; throws what reading or computing any part threw. */
export async function readAndCompute(
  source: DatapointSource,
  entries: readonly BatchEntry[],
  stats: ReadStats,
): Promise<KpiDatapoint[][]> {
  const results: KpiDatapoint[][] = entries.map(() => []);
  const groups = groupsSharingNoSeries(entries).map((indexes) => ({
    indexes,
    series: new Set(
      indexes.flatMap((i) => entries[i]!.kpi.inputs.map((spec) => seriesLookupKey(spec.series))),
    ).size,
  }));
  const totalSeries = groups.reduce((n, g) => n + g.series, 0);
  let taken = 0;
  let seriesRead = 0;
  /** The next part: at least a quarter of all series, or everything left if that is small. */
  const nextPart = (): number[] => {
    const left = groups.length - taken;
    const seriesLeft = totalSeries - seriesRead;
    const density = seriesRead === 0 ? Number.POSITIVE_INFINITY : stats.points / seriesRead;
    let want = density * seriesLeft >= 2 * SPLIT_MIN_POINTS ? Math.ceil(totalSeries / PARTS) : seriesLeft;
    const part: number[] = [];
    while (taken < groups.length && (part.length === 0 || want > 0)) {
      const g = groups[taken++]!;
      part.push(...g.indexes);
      want -= g.series;
      seriesRead += g.series;
    }
    return left === 0 ? [] : part.sort((a, b) => a - b);
  };
  const read = (part: readonly number[]) =>
    readInputs(
      source,
      part.map((i) => entries[i]!),
      stats,
    );
  let part = nextPart();
  let next = read(part);
  while (part.length > 0) {
    const series = await next;
    const following = nextPart();
    if (following.length > 0) {
      next = read(following);
      // Heard now: a rejection while this part computes must not count as unhandled.
      next.catch(() => undefined);
      // Let the next read's request go out before the computing holds the thread.
      await yieldToIo();
    }
    let computed: KpiDatapoint[][];
    try {
      computed = computeKpis(
        part.map((i) => ({ kpi: entries[i]!.kpi, windows: entries[i]!.windows })),
        series,
      );
    } catch (error) {
      // The caller goes on (another batch, or the call ends): no read of this batch may still be out.
      if (following.length > 0) await next.catch(() => undefined);
      throw error;
    }
    part.forEach((i, k) => {
      results[i] = computed[k]!;
    });
    part = following;
  }
  return results;
}

/** At most this many parts, so the requests they cost stay few. */
const PARTS = 4;
/**
 * Split what is left only if it holds at least twice this many points at the density read so
 * far: CDF pages 100,000 points a request, so each part still fills whole requests.
 */
const SPLIT_MIN_POINTS = 100_000;

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
