// The state and behaviour behind `/functions`: deployment (Queued -> Deploying -> Ready | Failed on
// the virtual clock), calls run by the python runtime, and schedules fired by a cron scheduler.
// Routes (functionRoutes.ts, callRoutes.ts, scheduleRoutes.ts) only parse, check and shape.
//
// Three clock participants make virtual time drive everything: deployment transitions happen at
// their instants, each cron tick fires at its own instant (and by default the clock waits for
// the tick's calls), and a call still running when `timeoutMinutes` of virtual time have passed
// since it started ends as Timeout.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClockParticipant } from "../clock.js";
import { CdfError, type EmulatorContext, type EmulatorStore, type Principal } from "../context.js";
import type { FileStore } from "../files.js";
import type { SessionStore } from "../sessions.js";
import { readStateFile, writeStateBytes, writeStateFile } from "../stateFile.js";
import { type CronExpression, isCronTick, nextCronTick, parseCronExpression } from "./cronExpression.js";
import { FUNCTION_LIMITS, type FunctionRuntime as RuntimeName } from "./functionLimits.js";
import { FunctionRuntime, type HarnessOutcome, type RunningProcess } from "./functionRuntime.js";
import { extractFunctionZip, FunctionZipError } from "./functionZip.js";

/** Ids start in distinct ranges so an id of the wrong kind is "not found", not a wrong hit. */
const FIRST_FUNCTION_ID = 7_000_000_000_001;
const FIRST_CALL_ID = 8_000_000_000_001;
const FIRST_SCHEDULE_ID = 9_000_000_000_001;

export type FunctionStatus = "Queued" | "Deploying" | "Ready" | "Failed";
export type CallStatus = "Running" | "Completed" | "Failed" | "Timeout";

export interface FunctionRecord {
  id: number;
  name: string;
  externalId?: string;
  description?: string;
  fileId: number;
  owner?: string;
  functionPath: string;
  metadata?: Record<string, string>;
  secrets?: Record<string, string>;
  envVars?: Record<string, string>;
  cpu: number;
  memory: number;
  runtime: RuntimeName;
  createdTime: number;
  status: FunctionStatus;
  error?: { message: string; trace: string | null };
  lastCalled?: number;
  /** When Queued ends and when Deploying ends (virtual clock). */
  deployingAt: number;
  readyAt: number;
}

export interface CallRecord {
  id: number;
  functionId: number;
  status: CallStatus;
  startTime: number;
  endTime?: number;
  error?: { message: string; trace?: string };
  scheduleId?: number;
  scheduledTime?: number;
  sessionId: number;
  /** Virtual time at which a still-running call becomes Timeout. */
  deadline: number;
}

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

interface RunningCall {
  process: RunningProcess;
  done: Promise<void>;
  /** Datapoint write requests made with the call's session (for the crash fault). */
  writeRequests: number;
  lastWritePrincipal?: Principal;
}

export interface NewFunction {
  name: string;
  externalId?: string;
  description?: string;
  fileId: number;
  owner?: string;
  functionPath?: string;
  metadata?: Record<string, string>;
  secrets?: Record<string, string>;
  envVars?: Record<string, string>;
  cpu?: number;
  memory?: number;
  runtime?: RuntimeName;
}

/** A deterministic number in [0, 1) for (schedule, tick): skipped ticks are reproducible. */
function tickDraw(scheduleId: number, tick: number): number {
  let h = (Math.imul(scheduleId % 2 ** 31, 2654435761) ^ Math.floor(tick / 60_000)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

export class FunctionsService implements EmulatorStore {
  readonly #ctx: EmulatorContext;
  readonly #sessions: SessionStore;
  readonly #files: FileStore;
  readonly runtime: FunctionRuntime;
  functions = new Map<number, FunctionRecord>();
  calls = new Map<number, CallRecord>();
  schedules = new Map<number, ScheduleRecord>();
  readonly #cron = new Map<number, CronExpression>();
  readonly #logs = new Map<number, Array<{ timestamp: number; message: string }>>();
  readonly #responses = new Map<number, unknown>();
  readonly #zips = new Map<number, Uint8Array>();
  readonly #code = new Map<number, Promise<string>>();
  readonly #checks = new Map<number, Promise<HarnessOutcome>>();
  readonly #running = new Map<number, RunningCall>();
  readonly #lastFiredTick = new Map<number, number>();
  #nextFunctionId = FIRST_FUNCTION_ID;
  #nextCallId = FIRST_CALL_ID;
  #nextScheduleId = FIRST_SCHEDULE_ID;

  constructor(ctx: EmulatorContext, sessions: SessionStore, files: FileStore) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#files = files;
    this.runtime = new FunctionRuntime({ wallClockCapMs: ctx.settings.functionWallClockCapMs });
    ctx.clock.register(this.#deploymentParticipant());
    ctx.clock.register(this.#schedulerParticipant());
    ctx.clock.register(this.#timeoutParticipant());
    ctx.onDatapointChange((_change, principal) => this.#onDatapointWrite(principal));
  }

  get maxRunningCallsPerFunction(): number {
    return this.#ctx.settings.maxRunningCallsPerFunction;
  }

  #faultsOf(fn: FunctionRecord) {
    return (
      (fn.externalId === undefined ? undefined : this.#ctx.faults.byFunction.get(fn.externalId)) ??
      this.#ctx.faults.byFunction.get(String(fn.id))
    );
  }

  // ---- functions -------------------------------------------------------------------------

  findFunction(ref: { id?: number; externalId?: string }): FunctionRecord | undefined {
    if (ref.id !== undefined) return this.functions.get(ref.id);
    return [...this.functions.values()].find((f) => f.externalId === ref.externalId);
  }

  async createFunction(input: NewFunction): Promise<FunctionRecord> {
    if (this.functions.size >= FUNCTION_LIMITS.functionsPerProject) {
      throw new CdfError(
        400,
        `The project already has ${FUNCTION_LIMITS.functionsPerProject} functions, CDF's limit per project; delete unused functions first`,
      );
    }
    if (input.externalId !== undefined && this.findFunction({ externalId: input.externalId })) {
      throw new CdfError(409, `Function with externalId '${input.externalId}' already exists`, {
        duplicated: [{ externalId: input.externalId }],
      });
    }
    const file = this.#files.get(input.fileId);
    if (!file) {
      throw new CdfError(
        400,
        `File with id ${input.fileId} not found: upload the function's zip (POST /files) first`,
      );
    }
    const content = this.#files.content(input.fileId);
    if (!file.uploaded || !content) {
      throw new CdfError(
        400,
        `File with id ${input.fileId} is not uploaded yet: PUT the zip's bytes to the file's uploadUrl before creating the function`,
      );
    }
    const now = this.#ctx.clock.now();
    const deployingAt = now + this.#ctx.settings.deployQueuedMs;
    const fn: FunctionRecord = {
      ...input,
      id: this.#nextFunctionId++,
      functionPath: input.functionPath ?? "handler.py",
      cpu: input.cpu ?? FUNCTION_LIMITS.cpuCores.default,
      memory: input.memory ?? FUNCTION_LIMITS.memoryGb.default,
      runtime: input.runtime ?? "py313",
      createdTime: now,
      status: "Queued",
      deployingAt,
      readyAt: deployingAt + this.#ctx.settings.deployDeployingMs,
    };
    this.functions.set(fn.id, fn);
    // CDF builds from a copy: deleting or overwriting the file later does not change the function.
    this.#zips.set(fn.id, new Uint8Array(content));
    this.#deployCheck(fn);
    await this.#advanceDeployment(fn, now);
    return fn;
  }

  #codeDir(fn: FunctionRecord): Promise<string> {
    let dir = this.#code.get(fn.id);
    if (!dir) {
      dir = (async () => {
        const target = await this.runtime.makeTempDir(`fn-${fn.id}`);
        await extractFunctionZip(this.#zips.get(fn.id) ?? new Uint8Array(), target);
        return target;
      })();
      this.#code.set(fn.id, dir);
    }
    return dir;
  }

  /** The deploy's outcome: starts at creation, awaited when Deploying ends. */
  #deployCheck(fn: FunctionRecord): Promise<HarnessOutcome> {
    let check = this.#checks.get(fn.id);
    if (!check) {
      check = (async (): Promise<HarnessOutcome> => {
        let dir: string;
        try {
          dir = await this.#codeDir(fn);
        } catch (e) {
          if (e instanceof FunctionZipError) return { ok: false, message: e.message, trace: null };
          throw e;
        }
        return this.runtime.check(dir, fn.functionPath);
      })();
      this.#checks.set(fn.id, check);
    }
    return check;
  }

  async #advanceDeployment(fn: FunctionRecord, now: number): Promise<void> {
    if (fn.status === "Queued" && now >= fn.deployingAt) fn.status = "Deploying";
    if (fn.status !== "Deploying" || now < fn.readyAt) return;
    const outcome = await this.#deployCheck(fn);
    if (!this.functions.has(fn.id) || fn.status !== "Deploying") return;
    if (this.#faultsOf(fn)?.failDeploy) {
      fn.status = "Failed";
      fn.error = { message: "Deployment failed (emulator fault injection: failDeploy)", trace: null };
    } else if (outcome.ok) {
      fn.status = "Ready";
    } else {
      fn.status = "Failed";
      fn.error = { message: outcome.message, trace: outcome.trace };
    }
  }

  #deploymentParticipant(): ClockParticipant {
    return {
      nextWakeup: (now) => {
        let next: number | undefined;
        for (const fn of this.functions.values()) {
          const at =
            fn.status === "Queued" ? fn.deployingAt : fn.status === "Deploying" ? fn.readyAt : undefined;
          if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
        }
        return next;
      },
      onTime: async (now) => {
        for (const fn of [...this.functions.values()]) await this.#advanceDeployment(fn, now);
      },
    };
  }

  deleteFunction(fn: FunctionRecord): void {
    for (const s of [...this.schedules.values()]) {
      if (s.functionId === fn.id) this.deleteSchedule(s);
    }
    this.functions.delete(fn.id);
    this.#zips.delete(fn.id);
    this.#checks.delete(fn.id);
    this.#code.delete(fn.id);
  }

  // ---- calls -----------------------------------------------------------------------------

  runningCallsOf(functionId: number): number {
    let n = 0;
    for (const id of this.#running.keys()) if (this.calls.get(id)?.functionId === functionId) n++;
    return n;
  }

  /** POST /functions/{id}/call: checks readiness and the running-call cap, binds the nonce, starts. */
  callFunction(fn: FunctionRecord, data: Record<string, unknown> | undefined, nonce: string): CallRecord {
    if (fn.status !== "Ready") {
      throw new CdfError(
        400,
        `Function ${fn.id}${fn.externalId ? ` (${fn.externalId})` : ""} is ${fn.status}: only Ready functions can be called`,
      );
    }
    if (this.runningCallsOf(fn.id) >= this.maxRunningCallsPerFunction) {
      throw new CdfError(
        429,
        `Function ${fn.id} already has ${this.maxRunningCallsPerFunction} running calls, the maximum per function; retry when some have finished`,
      );
    }
    const session = this.#sessions.bindNonce(nonce, "function call");
    return this.#startCall(fn, session.id, data ?? {});
  }

  #startCall(
    fn: FunctionRecord,
    sessionId: number,
    data: Record<string, unknown>,
    scheduled?: { scheduleId: number; scheduledTime: number },
  ): CallRecord {
    const now = this.#ctx.clock.now();
    const call: CallRecord = {
      id: this.#nextCallId++,
      functionId: fn.id,
      status: "Running",
      startTime: now,
      sessionId,
      deadline: now + this.#ctx.settings.functionTimeoutMinutes * 60_000,
      ...(scheduled ?? {}),
    };
    this.calls.set(call.id, call);
    fn.lastCalled = now;
    const logs: Array<{ timestamp: number; message: string }> = [];
    this.#logs.set(call.id, logs);

    let token: string;
    try {
      token = this.#sessions.issueSessionToken(sessionId);
    } catch (e) {
      this.#finish(call, {
        ok: false,
        message: `The call's session cannot act: ${(e as Error).message}`,
        trace: null,
      });
      return call;
    }
    const functionCallInfo: Record<string, unknown> = { function_id: fn.id, call_id: call.id };
    if (scheduled) {
      functionCallInfo.schedule_id = scheduled.scheduleId;
      functionCallInfo.scheduled_time = scheduled.scheduledTime;
    }
    let kill: (reason: string) => void = () => {};
    const startProcess = async (): Promise<HarnessOutcome> => {
      let dir: string;
      try {
        dir = await this.#codeDir(fn);
      } catch (e) {
        return { ok: false, message: (e as Error).message, trace: null };
      }
      const process = this.runtime.call(
        dir,
        fn.functionPath,
        {
          data,
          secrets: fn.secrets ?? {},
          functionCallInfo,
          project: this.#ctx.project,
          baseUrl: this.#ctx.baseUrl(),
          token,
        },
        fn.envVars ?? {},
        (message) => logs.push({ timestamp: this.#ctx.clock.now(), message }),
      );
      kill = (reason) => process.kill(reason);
      return process.outcome;
    };
    const outcome = startProcess();
    const running: RunningCall = {
      process: { outcome, kill: (reason) => kill(reason) },
      done: outcome.then(
        (result) => this.#finish(call, result),
        (e: unknown) => this.#finish(call, { ok: false, message: String(e), trace: null }),
      ),
      writeRequests: 0,
    };
    this.#running.set(call.id, running);
    return call;
  }

  #finish(call: CallRecord, outcome: HarnessOutcome): void {
    this.#running.delete(call.id);
    if (call.status !== "Running") return;
    call.endTime = this.#ctx.clock.now();
    if (outcome.ok) {
      call.status = "Completed";
      this.#responses.set(call.id, outcome.response ?? null);
    } else {
      call.status = "Failed";
      call.error = outcome.trace
        ? { message: outcome.message, trace: outcome.trace }
        : { message: outcome.message };
    }
  }

  /** Mark a running call with a final status now and kill its process. */
  #stop(call: CallRecord, status: CallStatus, message: string): void {
    const running = this.#running.get(call.id);
    if (call.status !== "Running") return;
    call.status = status;
    call.endTime = this.#ctx.clock.now();
    call.error = { message };
    running?.process.kill(message);
  }

  /** Wait until a call has finished (tests, the scheduler). */
  async settled(callId: number): Promise<void> {
    await this.#running.get(callId)?.done;
  }

  #timeoutParticipant(): ClockParticipant {
    return {
      nextWakeup: (now) => {
        let next: number | undefined;
        for (const id of this.#running.keys()) {
          const call = this.calls.get(id);
          if (call && call.deadline > now && (next === undefined || call.deadline < next))
            next = call.deadline;
        }
        return next;
      },
      onTime: (now) => {
        for (const id of [...this.#running.keys()]) {
          const call = this.calls.get(id);
          if (call && call.status === "Running" && now >= call.deadline) {
            const minutes = (call.deadline - call.startTime) / 60_000;
            this.#stop(
              call,
              "Timeout",
              `Function call timed out after ${minutes} minutes (limit timeoutMinutes)`,
            );
          }
        }
      },
    };
  }

  /** The crash fault counts write requests (one principal object per request) per session. */
  #onDatapointWrite(principal: Principal | undefined): void {
    if (principal?.sessionId === undefined) return;
    for (const [id, running] of this.#running) {
      const call = this.calls.get(id);
      if (!call || call.sessionId !== principal.sessionId || call.status !== "Running") continue;
      const fn = this.functions.get(call.functionId);
      const crashAfter = fn ? this.#faultsOf(fn)?.crashAfterDatapointWrites : undefined;
      if (crashAfter === undefined) continue;
      if (running.lastWritePrincipal !== principal) {
        running.lastWritePrincipal = principal;
        running.writeRequests++;
      }
      if (running.writeRequests >= crashAfter) {
        // Listeners run inside the write request after its points are stored: killing now keeps
        // exactly N writes, as the process never sees the answer and cannot send another request.
        this.#stop(
          call,
          "Failed",
          `The call crashed (emulator fault injection: crashAfterDatapointWrites ${crashAfter})`,
        );
      }
    }
  }

  // ---- schedules -------------------------------------------------------------------------

  createSchedule(input: {
    name: string;
    description?: string;
    cronExpression: string;
    fn: FunctionRecord;
    nonce: string;
    data?: Record<string, unknown>;
  }): ScheduleRecord {
    if (this.schedules.size >= FUNCTION_LIMITS.schedulesPerProject) {
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
      id: this.#nextScheduleId++,
      name: input.name,
      cronExpression: input.cronExpression,
      functionId: input.fn.id,
      createdTime: this.#ctx.clock.now(),
      sessionId: session.id,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.fn.externalId === undefined ? {} : { functionExternalId: input.fn.externalId }),
      ...(input.data === undefined ? {} : { data: input.data }),
    };
    this.schedules.set(schedule.id, schedule);
    this.#cron.set(schedule.id, cron);
    return schedule;
  }

  deleteSchedule(schedule: ScheduleRecord): void {
    this.schedules.delete(schedule.id);
    this.#cron.delete(schedule.id);
    this.#lastFiredTick.delete(schedule.id);
    this.#sessions.revoke(schedule.sessionId);
  }

  #cronOf(schedule: ScheduleRecord): CronExpression {
    let cron = this.#cron.get(schedule.id);
    if (!cron) {
      cron = parseCronExpression(schedule.cronExpression);
      this.#cron.set(schedule.id, cron);
    }
    return cron;
  }

  #schedulerParticipant(): ClockParticipant {
    return {
      nextWakeup: (now) => {
        let next: number | undefined;
        for (const s of this.schedules.values()) {
          if (this.functions.get(s.functionId)?.status !== "Ready") continue;
          const tick = nextCronTick(this.#cronOf(s), now);
          if (tick !== undefined && (next === undefined || tick < next)) next = tick;
        }
        return next;
      },
      onTime: async (now) => {
        const started: CallRecord[] = [];
        for (const s of [...this.schedules.values()]) {
          const fn = this.functions.get(s.functionId);
          if (fn?.status !== "Ready" || now <= s.createdTime || this.#lastFiredTick.get(s.id) === now)
            continue;
          if (!isCronTick(this.#cronOf(s), now)) continue;
          this.#lastFiredTick.set(s.id, now);
          const skip = this.#faultsOf(fn)?.skipTickProbability ?? 0;
          if (skip > 0 && tickDraw(s.id, now) < skip) continue;
          // CDF also caps scheduled calls at 100 running per function; an over-cap tick is lost.
          if (this.runningCallsOf(fn.id) >= this.maxRunningCallsPerFunction) continue;
          started.push(
            this.#startCall(fn, s.sessionId, s.data ?? {}, { scheduleId: s.id, scheduledTime: now }),
          );
        }
        if (this.#ctx.clock.waitForWork) await Promise.all(started.map((c) => this.settled(c.id)));
      },
    };
  }

  // ---- call results ----------------------------------------------------------------------

  logsOf(callId: number): Array<{ timestamp: number; message: string }> {
    return this.#logs.get(callId) ?? [];
  }

  responseOf(callId: number): unknown {
    return this.#responses.get(callId);
  }

  // ---- store -----------------------------------------------------------------------------

  reset(): void {
    for (const [id, running] of this.#running) {
      running.process.kill("The emulator was reset");
      this.#running.delete(id);
    }
    this.functions = new Map();
    this.calls = new Map();
    this.schedules = new Map();
    for (const m of [
      this.#cron,
      this.#logs,
      this.#responses,
      this.#zips,
      this.#code,
      this.#checks,
      this.#lastFiredTick,
    ]) {
      m.clear();
    }
    this.#nextFunctionId = FIRST_FUNCTION_ID;
    this.#nextCallId = FIRST_CALL_ID;
    this.#nextScheduleId = FIRST_SCHEDULE_ID;
  }

  async save(dir: string): Promise<void> {
    const target = join(dir, "functions");
    for (const [id, zip] of this.#zips) await writeStateBytes(target, `${id}.zip`, zip);
    // The state last: it lists only functions whose zip is already whole on disk.
    await writeStateFile(target, "state.json", {
      nextIds: [this.#nextFunctionId, this.#nextCallId, this.#nextScheduleId],
      functions: [...this.functions.values()],
      calls: [...this.calls.values()],
      schedules: [...this.schedules.values()],
      logs: [...this.#logs.entries()],
      responses: [...this.#responses.entries()],
      lastFiredTick: [...this.#lastFiredTick.entries()],
    });
  }

  async load(dir: string): Promise<void> {
    const target = join(dir, "functions");
    const saved = await readStateFile<{
      nextIds: [number, number, number];
      functions: FunctionRecord[];
      calls: CallRecord[];
      schedules: ScheduleRecord[];
      logs: Array<[number, Array<{ timestamp: number; message: string }>]>;
      responses: Array<[number, unknown]>;
      lastFiredTick: Array<[number, number]>;
    }>(target, "state.json");
    if (!saved) return;
    this.reset();
    [this.#nextFunctionId, this.#nextCallId, this.#nextScheduleId] = saved.nextIds;
    for (const fn of saved.functions) {
      this.functions.set(fn.id, fn);
      this.#zips.set(fn.id, new Uint8Array(await readFile(join(target, `${fn.id}.zip`))));
    }
    for (const call of saved.calls) {
      if (call.status === "Running") {
        call.status = "Failed";
        call.endTime = call.startTime;
        call.error = { message: "The emulator stopped while the call was running" };
      }
      this.calls.set(call.id, call);
    }
    for (const s of saved.schedules) this.schedules.set(s.id, s);
    for (const [id, logs] of saved.logs) this.#logs.set(id, logs);
    for (const [id, response] of saved.responses) this.#responses.set(id, response);
    for (const [id, tick] of saved.lastFiredTick) this.#lastFiredTick.set(id, tick);
  }

  async close(): Promise<void> {
    for (const running of this.#running.values()) running.process.kill("The emulator was closed");
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    await this.runtime.dispose();
  }
}
