import type { Clock } from "@kpi-pipeline/kpi-core";

/**
 * A clock that starts at `start` (epoch ms, read at performance.now() `startedAt`) and moves
 * with real elapsed time. runKpis measures its budget with the clock, so the budget is real
 * seconds even when `start` is the emulator's virtual time, and a worker clock that jumps
 * (NTP) cannot stretch or cut the run.
 */
export function elapsedClock(
  start: number,
  startedAt: number,
  elapsed: () => number = () => performance.now(),
): Clock {
  return { now: () => start + Math.max(0, elapsed() - startedAt) };
}
