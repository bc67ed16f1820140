// Function schedules: a cron expression, the function it calls, the session its calls act with
// (bound from the nonce at creation, revoked at deletion), and the last tick each one fired at.
// The Scheduler fires them; this store only keeps them.

import { CdfError, type EmulatorContext } from "../context.js";
import type { SessionStore } from "../sessions/index.js";
import { type CronExpression, parseCronExpression } from "./cronExpression.js";
import { FUNCTION_LIMITS } from "./functionLimits.js";
import type { FunctionRecord } from "./functionStore.js";

const FIRST_SCHEDULE_ID = 9_000_000_000_001;

export interface ScheduleRecord {
  id: number;
  name: string;
  description?: string;
  cronExpression: string;
  functionId: number;
  functionExternalId?: string;
  createdTime: number;
  sessionId: number;
  data?: Record<string, unknown>;
}

export interface NewSchedule {
  name: string;
  description?: string;
  cronExpression: string;
  fn: FunctionRecord;
  nonce: string;
  data?: Record<string, unknown>;
}

/** What a save keeps of the schedules (their cron expressions are parsed again). */
export interface SavedSchedules {
  nextId: number;
  schedules: ScheduleRecord[];
  lastFiredTick: Array<[number, number]>;
}

export class ScheduleStore {
  readonly #ctx: EmulatorContext;
  readonly #sessions: SessionStore;
  readonly #records = new Map<number, ScheduleRecord>();
  readonly #cron = new Map<number, CronExpression>();
  readonly #lastFiredTick = new Map<number, number>();
  #nextId = FIRST_SCHEDULE_ID;

  constructor(ctx: EmulatorContext, sessions: SessionStore) {
    this.#ctx = ctx;
    this.#sessions = sessions;
  }

  get(id: number): ScheduleRecord | undefined {
    return this.#records.get(id);
  }

  values(): IterableIterator<ScheduleRecord> {
    return this.#records.values();
  }

  create(input: NewSchedule): ScheduleRecord {
    if (this.#records.size >= FUNCTION_LIMITS.schedulesPerProject) {
      throw new CdfError(
        400,
        `The project already has ${FUNCTION_LIMITS.schedulesPerProject} schedules, CDF's limit per project; delete unused schedules first`,
      );
    }
    let cron: CronExpression;
    try {
      cron = parseCronExpression(input.cronExpression);
    } catch (e) {
      throw new CdfError(400, `Invalid cronExpression: ${(e as Error).message}`);
    }
    const session = this.#sessions.bindNonce(input.nonce, "function schedule");
    const schedule: ScheduleRecord = {
      id: this.#nextId++,
      name: input.name,
      cronExpression: input.cronExpression,
      functionId: input.fn.id,
      createdTime: this.#ctx.clock.now(),
      sessionId: session.id,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.fn.externalId === undefined ? {} : { functionExternalId: input.fn.externalId }),
      ...(input.data === undefined ? {} : { data: input.data }),
    };
    this.#records.set(schedule.id, schedule);
    this.#cron.set(schedule.id, cron);
    return schedule;
  }

  /** Delete a schedule and revoke its session, as CDF does. */
  delete(schedule: ScheduleRecord): void {
    this.#records.delete(schedule.id);
    this.#cron.delete(schedule.id);
    this.#lastFiredTick.delete(schedule.id);
    this.#sessions.revoke(schedule.sessionId);
  }

  /** Delete the schedules of a function (CDF deletes them with the function). */
  deleteOfFunction(functionId: number): void {
    for (const s of [...this.#records.values()]) if (s.functionId === functionId) this.delete(s);
  }

  /** The parsed cron expression; parsed again after a load, which keeps only the text. */
  cronOf(schedule: ScheduleRecord): CronExpression {
    let cron = this.#cron.get(schedule.id);
    if (!cron) {
      cron = parseCronExpression(schedule.cronExpression);
      this.#cron.set(schedule.id, cron);
    }
    return cron;
  }

  lastFiredTick(scheduleId: number): number | undefined {
    return this.#lastFiredTick.get(scheduleId);
  }

  markFired(scheduleId: number, tick: number): void {
    this.#lastFiredTick.set(scheduleId, tick);
  }

  reset(): void {
    this.#records.clear();
    this.#cron.clear();
    this.#lastFiredTick.clear();
    this.#nextId = FIRST_SCHEDULE_ID;
  }

  snapshot(): SavedSchedules {
    return {
      nextId: this.#nextId,
      schedules: [...this.#records.values()],
      lastFiredTick: [...this.#lastFiredTick.entries()],
    };
  }

  restore(saved: SavedSchedules): void {
    this.reset();
    this.#nextId = saved.nextId;
    for (const s of saved.schedules) this.#records.set(s.id, s);
    for (const [id, tick] of saved.lastFiredTick) this.#lastFiredTick.set(id, tick);
  }
}
