import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";

/** A point as a test writes it: no value means a Bad point without value. */
export interface SeedPoint {
  timestamp: number;
  value?: number;
  status?: number;
}

/** Creates the series (data-model ones through the emulator's control API) and inserts the points. */
export async function seedSeries(
  t: Pick<TestEmulator, "emulator" | "client">,
  series: ReadonlyArray<{ ref: SeriesRef; isStep?: boolean; points: readonly SeedPoint[] }>,
): Promise<void> {
  const byExternalId = series.filter((s) => "externalId" in s.ref);
  const byInstanceId = series.filter((s) => "instanceId" in s.ref);
  for (let i = 0; i < byExternalId.length; i += 1000) {
    await t.client.timeseries.create(
      byExternalId.slice(i, i + 1000).map((s) => ({
        externalId: (s.ref as { externalId: string }).externalId,
        isStep: s.isStep ?? false,
      })),
    );
  }
  if (byInstanceId.length > 0) {
    t.emulator.control.createTimeSeries(byInstanceId.map((s) => ({ ...s.ref, isStep: s.isStep ?? false })));
  }
  const path = `/api/v1/projects/${t.emulator.project}/timeseries/data`;
  let items: unknown[] = [];
  let count = 0;
  const flush = async () => {
    if (items.length > 0) await t.client.post(path, { data: { items } });
    items = [];
    count = 0;
  };
  for (const s of series) {
    for (let i = 0; i < s.points.length; i += 50_000) {
      const slice = s.points.slice(i, i + 50_000);
      if (count + slice.length > 100_000 || items.length >= 10_000) await flush();
      items.push({
        ...s.ref,
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
