// A deterministic number in [0, 1) for (schedule, tick, what is being decided), so a schedule's
// skipped, late and duplicated ticks are the same on every run: a failing test can be replayed.
// Each decision has its own salt, so whether a tick is late does not decide whether it is skipped.

export const TICK_DECISION = { skip: 0, late: 1, duplicate: 2 } as const;

export function tickDraw(scheduleId: number, tick: number, salt: number = TICK_DECISION.skip): number {
  // Salt 0 leaves the hash as it was before salts existed: skipped ticks of old runs stay skipped.
  let h =
    (Math.imul(scheduleId % 2 ** 31, 2654435761) ^
      Math.floor(tick / 60_000) ^
      Math.imul(salt, 0x27d4eb2d)) >>>
    0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
