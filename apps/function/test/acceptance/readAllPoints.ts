import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";

/** A stored point: value null for a Bad point without value; status the CDF code (0 Good). */
export interface StoredPoint {
  timestamp: number;
  value: number | null;
  status: number;
}

/**
 * Every point of a series, Bad ones included, with plain SDK calls and cursors: the suite's own
 * reader, so that what it checks never goes through the reader under test.
 */
export async function readAllPoints(
  t: Pick<TestEmulator, "emulator" | "client">,
  ref: SeriesRef,
): Promise<StoredPoint[]> {
  const points: StoredPoint[] = [];
  let cursor: string | undefined;
  do {
    const response = await t.client.post<{
      items: Array<{
        nextCursor?: string;
        datapoints: Array<{ timestamp: number; value?: number; status?: { code?: number } }>;
      }>;
    }>(`/api/v1/projects/${t.emulator.project}/timeseries/data/list`, {
      data: {
        items: [{ ...ref, limit: 100_000, ...(cursor === undefined ? {} : { cursor }) }],
        start: -2_208_988_800_000,
        end: 4_102_444_799_999,
        includeStatus: true,
        ignoreBadDataPoints: false,
        ignoreUnknownIds: true,
      },
    });
    const item = response.data.items[0];
    if (item === undefined) return points;
    for (const p of item.datapoints)
      points.push({ timestamp: p.timestamp, value: p.value ?? null, status: p.status?.code ?? 0 });
    cursor = item.nextCursor;
  } while (cursor !== undefined);
  return points;
}
