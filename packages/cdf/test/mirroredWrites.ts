import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { InMemoryDatapointStore } from "@kpi-pipeline/kpi-core/testing";

// End-to-end tests write inputs to the emulator over HTTP and the same points to an in-memory
// mirror, whose points kpi-core then computes the expected datapoints from.

/** A point as a test writes it: no value means a Bad point without value. */
export type MirroredPoint = { timestamp: number; value?: number; status?: number };

export async function insertMirrored(
  t: TestEmulator,
  mirror: InMemoryDatapointStore,
  ref: SeriesRef,
  points: readonly MirroredPoint[],
): Promise<void> {
  for (let i = 0; i < points.length; i += 10_000) {
    await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data`, {
      data: {
        items: [
          {
            ...ref,
            datapoints: points.slice(i, i + 10_000).map((p) => ({
              timestamp: p.timestamp,
              ...(p.value === undefined ? {} : { value: p.value }),
              ...(p.status === undefined ? {} : { status: { code: p.status } }),
            })),
          },
        ],
      },
    });
  }
  mirror.insert(
    ref,
    points.map((p) => ({ timestamp: p.timestamp, value: p.value ?? null, status: p.status ?? 0 })),
  );
}

export async function deleteMirrored(
  t: TestEmulator,
  mirror: InMemoryDatapointStore,
  ref: SeriesRef,
  start: number,
  end: number,
): Promise<void> {
  await t.client.post(`/api/v1/projects/${t.emulator.project}/timeseries/data/delete`, {
    data: { items: [{ ...ref, inclusiveBegin: start, exclusiveEnd: end }] },
  });
  await mirror.delete(ref, { start, end });
}
