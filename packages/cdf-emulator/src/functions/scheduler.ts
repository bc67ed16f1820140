// Fires schedules on the virtual clock: each cron tick at its own instant, one call per schedule
// and tick, only for Ready functions and only after the schedule was created. By default the
// clock waits for the tick's calls before it moves on, so a test that advances a day sees the
// effects of each tick before the next one fires.
//
// CDF is less tidy, and the faults below make the emulator as untidy, reproducibly (tickDraw.ts):
// a tick may be skipped, its call may start late (with the tick's own scheduled_time, so "now"
// and scheduled_time disagree; a call as late as the schedule's interval starts together with the
// next tick's call and runs alongside it), or the tick may start two calls at once.

import type { ClockParticipant } from "../clock.js";
import type { EmulatorContext } from "../context.js";
import type { CallRecord, CallStore } from "./callStore.js";
import { isCronTick, nextCronTick } from "./cronExpression.js";
import type { FunctionStore } from "./functionStore.js";
import type { ScheduleStore } from "./scheduleStore.js";
import { TICK_DECISION, tickDraw } from "./tickDraw.js";

/** A tick whose calls start later than the tick (the `lateTickProbability` fault). */
interface LateTick {
  scheduleId: number;
  tick: number;
  startAt: number;
  calls: number;
}

export class Scheduler implements ClockParticipant {
  readonly #ctx: EmulatorContext;
  readonly #functions: FunctionStore;
  readonly #schedules: ScheduleStore;
  readonly #calls: CallStore;
  #late: LateTick[] = [];

  constructor(ctx: EmulatorContext, functions: FunctionStore, schedules: ScheduleStore, calls: CallStore) {
    this.#ctx = ctx;
    this.#functions = functions;
    this.#schedules = schedules;
    this.#calls = calls;
  }

  /** Forget late ticks not started yet (their schedules are gone with the reset). */
  reset(): void {
    this.#late = [];
  }

  nextWakeup(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.#schedules.values()) {
      if (this.#functions.get(s.functionId)?.status !== "Ready") continue;
      const tick = nextCronTick(this.#schedules.cronOf(s), now);
      if (tick !== undefined && (next === undefined || tick < next)) next = tick;
    }
    for (const late of this.#late) {
      if (late.startAt > now && (next === undefined || late.startAt < next)) next = late.startAt;
    }
    return next;
  }

  async onTime(now: number): Promise<void> {
    const started: CallRecord[] = [];
    // Late ticks due now start first: they are older than a tick firing at this instant.
    const due = this.#late.filter((l) => l.startAt <= now);
    this.#late = this.#late.filter((l) => l.startAt > now);
    for (const late of due) started.push(...this.#start(late.scheduleId, late.tick, late.calls));

    for (const s of [...this.#schedules.values()]) {
      const fn = this.#functions.get(s.functionId);
      if (fn?.status !== "Ready" || now <= s.createdTime || this.#schedules.lastFiredTick(s.id) === now)
        continue;
      if (!isCronTick(this.#schedules.cronOf(s), now)) continue;
      this.#schedules.markFired(s.id, now);
      const faults = this.#functions.faultsOf(fn);
      const skip = faults?.skipTickProbability ?? 0;
      if (skip > 0 && tickDraw(s.id, now) < skip) continue;
      const duplicate = faults?.duplicateTickProbability ?? 0;
      const calls = duplicate > 0 && tickDraw(s.id, now, TICK_DECISION.duplicate) < duplicate ? 2 : 1;
      const late = faults?.lateTickProbability ?? 0;
      const lateMs = faults?.lateTickMs ?? 0;
      if (late > 0 && lateMs > 0 && tickDraw(s.id, now, TICK_DECISION.late) < late) {
        this.#late.push({ scheduleId: s.id, tick: now, startAt: now + lateMs, calls });
        continue;
      }
      started.push(...this.#start(s.id, now, calls));
    }
    if (this.#ctx.clock.waitForWork) await Promise.all(started.map((c) => this.#calls.settled(c.id)));
  }

  /** Start a tick's calls now, if its schedule and function are still there and may run. */
  #start(scheduleId: number, tick: number, count: number): CallRecord[] {
    const s = this.#schedules.get(scheduleId);
    const fn = s === undefined ? undefined : this.#functions.get(s.functionId);
    if (s === undefined || fn?.status !== "Ready") return [];
    const started: CallRecord[] = [];
    for (let i = 0; i < count; i++) {
      // CDF also caps scheduled calls at 100 running per function; an over-cap tick is lost.
      if (this.#calls.runningOf(fn.id) >= this.#calls.maxRunningPerFunction) break;
      started.push(
        this.#calls.start(fn, s.sessionId, s.data ?? {}, { scheduleId: s.id, scheduledTime: tick }),
      );
    }
    return started;
  }
}
