// The state and behaviour behind `/functions`, put together from one part per concept:
// functions and their deployment (functionStore.ts), calls (callStore.ts), schedules
// (scheduleStore.ts), the cron scheduler (scheduler.ts) and the saved state
// (functionsStateFile.ts). Routes (functionRoutes.ts, callRoutes.ts, scheduleRoutes.ts) only
// parse, check and shape.
//
// Three clock participants make virtual time drive everything: deployment transitions happen at
// their instants, each cron tick fires at its own instant (and by default the clock waits for the
// tick's calls), and a call still running when `timeoutMinutes` of virtual time have passed since
// it started ends as Timeout. They run in that order at each instant.

import { join } from "node:path";
import type { EmulatorContext, EmulatorStore } from "../context.js";
import type { FileStore } from "../files/index.js";
import type { SessionStore } from "../sessions/index.js";
import { CallStore } from "./callStore.js";
import { FunctionRuntime } from "./functionRuntime.js";
import { type FunctionRecord, FunctionStore } from "./functionStore.js";
import { functionsStateFile } from "./functionsStateFile.js";
import { Scheduler } from "./scheduler.js";
import { ScheduleStore } from "./scheduleStore.js";

export class FunctionsService implements EmulatorStore {
  readonly runtime: FunctionRuntime;
  readonly functions: FunctionStore;
  readonly calls: CallStore;
  readonly schedules: ScheduleStore;
  readonly #scheduler: Scheduler;

  constructor(ctx: EmulatorContext, sessions: SessionStore, files: FileStore) {
    this.runtime = new FunctionRuntime({ wallClockCapMs: ctx.settings.functionWallClockCapMs });
    this.functions = new FunctionStore(ctx, files, this.runtime);
    this.calls = new CallStore(ctx, sessions, this.functions, this.runtime);
    this.schedules = new ScheduleStore(ctx, sessions);
    ctx.clock.register(this.functions.deployment());
    this.#scheduler = new Scheduler(ctx, this.functions, this.schedules, this.calls);
    ctx.clock.register(this.#scheduler);
    ctx.clock.register(this.calls.timeouts());
  }

  /** CDF deletes a function's schedules with it, but not its code file (README.md, section "CDF facts"). */
  deleteFunction(fn: FunctionRecord): void {
    this.schedules.deleteOfFunction(fn.id);
    this.functions.delete(fn);
  }

  reset(): void {
    this.calls.reset();
    this.functions.reset();
    this.schedules.reset();
    this.#scheduler.reset();
  }

  async save(dir: string): Promise<void> {
    await functionsStateFile.save(join(dir, "functions"), {
      functions: this.functions.snapshot(),
      calls: this.calls.snapshot(),
      schedules: this.schedules.snapshot(),
    });
  }

  async load(dir: string): Promise<void> {
    const saved = await functionsStateFile.load(join(dir, "functions"));
    if (!saved) return;
    this.calls.restore(saved.calls);
    this.functions.restore(saved.functions);
    this.schedules.restore(saved.schedules);
  }

  async close(): Promise<void> {
    await this.calls.close();
    await this.runtime.dispose();
  }
}
