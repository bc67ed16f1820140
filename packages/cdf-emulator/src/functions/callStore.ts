// Function calls: each runs its handler in its own python process (functionRuntime.ts), its
// printed lines become its logs and its return value its response. A call still running when
// `timeoutMinutes` of virtual time have passed since it started ends as Timeout; the crash fault
// kills a call after N datapoint write requests made with its session.

import type { ClockParticipant } from "../clock.js";
import { CdfError, type EmulatorContext, type Principal } from "../context.js";
import type { SessionStore } from "../sessions/index.js";
import type { FunctionRuntime, HarnessOutcome, RunningProcess } from "./functionRuntime.js";
import type { FunctionRecord, FunctionStore } from "./functionStore.js";

const FIRST_CALL_ID = 8_000_000_000_001;

export type CallStatus = "Running" | "Completed" | "Failed" | "Timeout";

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

export interface CallLogLine {
  timestamp: number;
  message: string;
}

/** What a save keeps of the calls. */
export interface SavedCalls {
  nextId: number;
  calls: CallRecord[];
  logs: Array<[number, CallLogLine[]]>;
  responses: Array<[number, unknown]>;
}

interface RunningCall {
  process: RunningProcess;
  done: Promise<void>;
  /** The bearer token the call was given: its requests, even when calls of one schedule overlap. */
  token: string;
  /** Datapoint write requests made with the call's token (for the crash fault). */
  writeRequests: number;
  lastWritePrincipal?: Principal;
}

export class CallStore {
  readonly #ctx: EmulatorContext;
  readonly #sessions: SessionStore;
  readonly #functions: FunctionStore;
  readonly #runtime: FunctionRuntime;
  readonly #records = new Map<number, CallRecord>();
  readonly #logs = new Map<number, CallLogLine[]>();
  readonly #responses = new Map<number, unknown>();
  readonly #running = new Map<number, RunningCall>();
  #nextId = FIRST_CALL_ID;

  constructor(
    ctx: EmulatorContext,
    sessions: SessionStore,
    functions: FunctionStore,
    runtime: FunctionRuntime,
  ) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#functions = functions;
    this.#runtime = runtime;
    ctx.onDatapointChange((_change, principal) => this.#onDatapointWrite(principal));
  }

  get(id: number): CallRecord | undefined {
    return this.#records.get(id);
  }

  values(): IterableIterator<CallRecord> {
    return this.#records.values();
  }

  get maxRunningPerFunction(): number {
    return this.#ctx.settings.maxRunningCallsPerFunction;
  }

  runningOf(functionId: number): number {
    let n = 0;
    for (const id of this.#running.keys()) if (this.#records.get(id)?.functionId === functionId) n++;
    return n;
  }

  /** POST /functions/{id}/call: checks readiness and the running-call cap, binds the nonce, starts. */
  call(fn: FunctionRecord, data: Record<string, unknown> | undefined, nonce: string): CallRecord {
    if (fn.status !== "Ready") {
      throw new CdfError(
        400,
        `Function ${fn.id}${fn.externalId ? ` (${fn.externalId})` : ""} is ${fn.status}: only Ready functions can be called`,
      );
    }
    if (this.runningOf(fn.id) >= this.maxRunningPerFunction) {
      throw new CdfError(
        429,
        `Function ${fn.id} already has ${this.maxRunningPerFunction} running calls, the maximum per function; retry when some have finished`,
      );
    }
    const session = this.#sessions.bindNonce(nonce, "function call");
    return this.start(fn, session.id, data ?? {});
  }

  /** Start a call with a session that is already bound (the call route, the scheduler). */
  start(
    fn: FunctionRecord,
    sessionId: number,
    data: Record<string, unknown>,
    scheduled?: { scheduleId: number; scheduledTime: number },
  ): CallRecord {
    const now = this.#ctx.clock.now();
    const call: CallRecord = {
      id: this.#nextId++,
      functionId: fn.id,
      status: "Running",
      startTime: now,
      sessionId,
      deadline: now + this.#ctx.settings.functionTimeoutMinutes * 60_000,
      ...(scheduled ?? {}),
    };
    this.#records.set(call.id, call);
    fn.lastCalled = now;
    const logs: CallLogLine[] = [];
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
      const dir = await this.#functions.codeDir(fn);
      const process = this.#runtime.call(
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
        (e: unknown) =>
          this.#finish(call, {
            ok: false,
            message: `The emulator could not run the call: ${e instanceof Error ? e.message : String(e)}`,
            trace: null,
          }),
      ),
      token,
      writeRequests: 0,
    };
    this.#running.set(call.id, running);
    return call;
  }

  /** Record a call's outcome, unless it already ended (Timeout, crash fault, reset). */
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

  logsOf(callId: number): CallLogLine[] {
    return this.#logs.get(callId) ?? [];
  }

  responseOf(callId: number): unknown {
    return this.#responses.get(callId);
  }

  /** Ends calls as Timeout when the virtual clock reaches their deadline. */
  timeouts(): ClockParticipant {
    return {
      nextWakeup: (now) => {
        let next: number | undefined;
        for (const id of this.#running.keys()) {
          const call = this.#records.get(id);
          if (call && call.deadline > now && (next === undefined || call.deadline < next))
            next = call.deadline;
        }
        return next;
      },
      onTime: (now) => {
        for (const id of [...this.#running.keys()]) {
          const call = this.#records.get(id);
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

  /**
   * The crash fault counts write requests (one principal object per request) per call, by the
   * call's own token: calls of one schedule share its session and may run at the same time
   * (late or duplicated ticks), and one call's writes must not crash another.
   */
  #onDatapointWrite(principal: Principal | undefined): void {
    if (principal?.sessionId === undefined) return;
    for (const [id, running] of this.#running) {
      const call = this.#records.get(id);
      if (!call || running.token !== principal.token || call.status !== "Running") continue;
      const fn = this.#functions.get(call.functionId);
      const crashAfter = fn ? this.#functions.faultsOf(fn)?.crashAfterDatapointWrites : undefined;
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

  /** Kill every running process; `reason` becomes their outcome (they are forgotten anyway). */
  reset(reason = "The emulator was reset"): void {
    for (const running of this.#running.values()) running.process.kill(reason);
    this.#running.clear();
    this.#records.clear();
    this.#logs.clear();
    this.#responses.clear();
    this.#nextId = FIRST_CALL_ID;
  }

  /** Kill every running process and wait until each has ended. */
  async close(): Promise<void> {
    for (const running of this.#running.values()) running.process.kill("The emulator was closed");
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  snapshot(): SavedCalls {
    return {
      nextId: this.#nextId,
      calls: [...this.#records.values()],
      logs: [...this.#logs.entries()],
      responses: [...this.#responses.entries()],
    };
  }

  /** A call that was running when the state was saved cannot go on: it ends Failed. */
  restore(saved: SavedCalls): void {
    this.reset();
    this.#nextId = saved.nextId;
    for (const call of saved.calls) {
      if (call.status === "Running") {
        call.status = "Failed";
        call.endTime = call.startTime;
        call.error = { message: "The emulator stopped while the call was running" };
      }
      this.#records.set(call.id, call);
    }
    for (const [id, logs] of saved.logs) this.#logs.set(id, logs);
    for (const [id, response] of saved.responses) this.#responses.set(id, response);
  }
}
