import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import { STATUS_BAD } from "@kpi-pipeline/kpi-core";

/** A point as the suite writes it: no value means a Bad point without value. */
export interface PlantPoint {
  timestamp: number;
  value?: number;
  status?: number;
}

export interface PlantSeries {
  ref: SeriesRef;
  isStep: boolean;
  /** The point at minute `minute` of the epoch, or none; a pure function so any split of time gives the same points. */
  at(minute: number): PlantPoint | undefined;
}

const MINUTE = 60_000;

/** A deterministic number in [0, 1) from a series and a minute (a 32-bit integer hash). */
function noise(series: number, minute: number, salt = 0): number {
  let h = Math.imul(series + 1, 0x9e3779b1) ^ Math.imul(minute, 0x85ebca6b) ^ Math.imul(salt + 7, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * The six inputs of kpis.yaml: one point a minute (a few seconds off the minute), with what real
 * plants send: Bad points, values out of the clean range, spikes, flat stretches, counter resets,
 * a step valve, and minutes with no point at all.
 */
export const PLANT: readonly PlantSeries[] = [
  {
    ref: { externalId: "plant:flow" },
    isStep: false,
    at(m) {
      const r = noise(0, m);
      if (r < 0.04) return undefined;
      const timestamp = m * MINUTE + Math.floor(noise(0, m, 1) * 20_000);
      if (r < 0.07) return { timestamp, status: STATUS_BAD };
      if (r < 0.09) return { timestamp, value: 140 + r * 100 };
      return { timestamp, value: 30 + 15 * Math.sin(m / 47) + noise(0, m, 2) * 8 };
    },
  },
  {
    ref: { externalId: "plant:power" },
    isStep: false,
    at(m) {
      const timestamp = m * MINUTE + Math.floor(noise(1, m, 1) * 10_000);
      return { timestamp, value: 500 + 200 * Math.cos(m / 90) + noise(1, m, 2) * 40 };
    },
  },
  {
    ref: { externalId: "plant:units" },
    isStep: false,
    at(m) {
      // A counter that counts up a few units a minute and resets to zero about every 9 hours.
      const cycle = 541;
      const inCycle = ((m % cycle) + cycle) % cycle;
      return { timestamp: m * MINUTE, value: inCycle * 3 + Math.floor(noise(2, m) * 3) };
    },
  },
  {
    ref: { externalId: "plant:temp" },
    isStep: false,
    at(m) {
      const timestamp = m * MINUTE + 30_000;
      // Stuck for 15 minutes of every 97: the flatline step drops those runs.
      if (((m % 97) + 97) % 97 < 15) return { timestamp, value: 61.5 };
      return { timestamp, value: 60 + 4 * Math.sin(m / 13) + noise(3, m) };
    },
  },
  {
    ref: { instanceId: { space: "plant", externalId: "valve" } },
    isStep: true,
    at(m) {
      if (noise(4, m) > 0.12) return undefined;
      return { timestamp: m * MINUTE + 5_000, value: noise(4, m, 1) < 0.5 ? 1 : 0 };
    },
  },
  {
    ref: { instanceId: { space: "plant", externalId: "level" } },
    isStep: false,
    at(m) {
      const r = noise(5, m);
      if (r < 0.1) return undefined;
      const timestamp = m * MINUTE + 45_000;
      if (r < 0.12) return { timestamp, status: STATUS_BAD };
      return { timestamp, value: 2 + Math.sin(m / 200) + noise(5, m, 1) * 0.2 };
    },
  },
];

/** The series' points with timestamps in [from, to). */
export function plantPoints(series: PlantSeries, from: number, to: number): PlantPoint[] {
  const points: PlantPoint[] = [];
  for (let m = Math.floor(from / MINUTE) - 1; m * MINUTE < to; m++) {
    const p = series.at(m);
    if (p !== undefined && p.timestamp >= from && p.timestamp < to) points.push(p);
  }
  return points;
}
