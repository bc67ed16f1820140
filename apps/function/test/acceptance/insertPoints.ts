import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { PlantPoint } from "./plant.js";

/** Writes points as a data source would, in requests of at most 100,000 points (CDF's insert limit). */
export async function insertPoints(
  t: Pick<TestEmulator, "emulator" | "client">,
  batches: ReadonlyArray<{ ref: SeriesRef; points: readonly PlantPoint[] }>,
): Promise<void> {
  const path = `/api/v1/projects/${t.emulator.project}/timeseries/data`;
  let items: unknown[] = [];
  let count = 0;
  const flush = async () => {
    if (items.length > 0) await t.client.post(path, { data: { items } });
    items = [];
    count = 0;
  };
  for (const { ref, points } of batches) {
    for (let i = 0; i < points.length; i += 50_000) {
      const slice = points.slice(i, i + 50_000);
      if (count + slice.length > 100_000) await flush();
      items.push({
        ...ref,
        datapoints: slice.map((p) => ({
          timestamp: p.timestamp,
          ...(p.value === undefined ? {} : { value: p.value }),
          ...(p.status === undefined ? {} : { status: { code: p.status } }),
        })),
      });
      count += slice.length;
    }
  }
  await flush();
}

/** Deletes [start, end) of a series, as a data source correcting itself would. */
export async function deletePoints(
  t: Pick<TestEmulator, "emulator" | "client">,
  ref: SeriesRef,
  start: number,
  end: number,
): Promise<void> {
  await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data/delete`, {
    data: { items: [{ ...ref, inclusiveBegin: start, exclusiveEnd: end }] },
  });
}
