// Fires schedules on the virtual clock: each cron tick at its own instant, one call per schedule
// and tick, only for Ready functions and only after the schedule was created. By default the
// clock waits for the tick's calls before it moves on, so a test that advances a day sees the
// effects of each tick before the next one fires.

import type { ClockParticipant } from "../clock.js";
import type { EmulatorContext } from "../context.js";
import type { CallRecord, CallStore } from "./callStore.js";
import { isCronTick, nextCronTick } from "./cronExpression.js";
import type { FunctionStore } from "./functionStore.js";
import type { ScheduleStore } from "./scheduleStore.js";

/** A deterministic number in [0, 1) for (schedule, tick): skipped ticks are reproducible. */
function tickDraw(scheduleId: number, tick: number): number {
  let h = (Math.imul(scheduleId % 2 ** 31, 2654435761) ^ Math.floor(tick / 60_000)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

export class Scheduler implements ClockParticipant {
  readonly #ctx: EmulatorContext;
  readonly #functions: FunctionStore;
  readonly #schedules: ScheduleStore;
  readonly #calls: CallStore;

  constructor(ctx: EmulatorContext, functions: FunctionStore, schedules: ScheduleStore, calls: CallStore) {
    this.#ctx = ctx;
    this.#functions = functions;
    this.#schedules = schedules;
    this.#calls = calls;
  }

  nextWakeup(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.#schedules.values()) {
      if (this.#functions.get(s.functionId)?.status !== "Ready") continue;
      const tick = nextCronTick(this.#schedules.cronOf(s), now);
      if (tick !== undefined && (next === undefined || tick < next)) next = tick;
    }
    return next;
  }

  async onTime(now: number): Promise<void> {
    const started: CallRecord[] = [];
    for (const s of [...this.#schedules.values()]) {
      const fn = this.#functions.get(s.functionId);
      if (fn?.status !== "Ready" || now <= s.createdTime || this.#schedules.lastFiredTick(s.id) === now)
        continue;
      if (!isCronTick(this.#schedules.cronOf(s), now)) continue;
      this.#schedules.markFired(s.id, now);
      const skip = this.#functions.faultsOf(fn)?.skipTickProbability ?? 0;
      if (skip > 0 && tickDraw(s.id, now) < skip) continue;
      // CDF also caps scheduled calls at 100 running per function; an over-cap tick is lost.
      if (this.#calls.runningOf(fn.id) >= this.#calls.maxRunningPerFunction) continue;
      started.push(
        this.#calls.start(fn, s.sessionId, s.data ?? {}, { scheduleId: s.id, scheduledTime: now }),
      );
    }
    if (this.#ctx.clock.waitForWork) await Promise.all(started.map((c) => this.#calls.settled(c.id)));
  }
}
