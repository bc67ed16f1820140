// The functions of the project and their deployment: Queued -> Deploying -> Ready | Failed, each
// step at its own instant of the virtual clock. The deploy's real work (unzip, import the handler)
// starts at creation so that it is usually done when Deploying ends; the clock waits for it.

import type { ClockParticipant } from "../clock.js";
import { CdfError, type EmulatorContext, type FunctionFaults } from "../context.js";
import type { FileStore } from "../files/index.js";
import { FUNCTION_LIMITS, type FunctionRuntime as RuntimeName } from "./functionLimits.js";
import type { FunctionRuntime, HarnessOutcome } from "./functionRuntime.js";
import { extractFunctionZip, FunctionZipError } from "./functionZip.js";

/** Ids start in distinct ranges (calls at 8e12, schedules at 9e12) so a wrong kind of id is "not found". */
const FIRST_FUNCTION_ID = 7_000_000_000_001;

export type FunctionStatus = "Queued" | "Deploying" | "Ready" | "Failed";

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

/** What a save keeps of the functions: the records, their code, and the next id. */
export interface SavedFunctions {
  nextId: number;
  functions: FunctionRecord[];
  /** Each function's code, by function id. */
  zips: Map<number, Uint8Array>;
}

type FaultSettings = FunctionFaults["byFunction"] extends Map<string, infer V> ? V : never;

export class FunctionStore {
  readonly #ctx: EmulatorContext;
  readonly #files: FileStore;
  readonly #runtime: FunctionRuntime;
  readonly #records = new Map<number, FunctionRecord>();
  /** The code each function was built from: CDF builds from a copy of the file. */
  readonly #zips = new Map<number, Uint8Array>();
  readonly #codeDirs = new Map<number, Promise<string>>();
  readonly #checks = new Map<number, Promise<HarnessOutcome>>();
  #nextId = FIRST_FUNCTION_ID;

  constructor(ctx: EmulatorContext, files: FileStore, runtime: FunctionRuntime) {
    this.#ctx = ctx;
    this.#files = files;
    this.#runtime = runtime;
  }

  get(id: number): FunctionRecord | undefined {
    return this.#records.get(id);
  }

  find(ref: { id?: number; externalId?: string }): FunctionRecord | undefined {
    if (ref.id !== undefined) return this.#records.get(ref.id);
    return [...this.#records.values()].find((f) => f.externalId === ref.externalId);
  }

  values(): IterableIterator<FunctionRecord> {
    return this.#records.values();
  }

  /** The faults injected for a function, by externalId first, then by id. */
  faultsOf(fn: FunctionRecord): FaultSettings | undefined {
    const byFunction = this.#ctx.faults.byFunction;
    return (
      (fn.externalId === undefined ? undefined : byFunction.get(fn.externalId)) ??
      byFunction.get(String(fn.id))
    );
  }

  async create(input: NewFunction): Promise<FunctionRecord> {
    if (this.#records.size >= FUNCTION_LIMITS.functionsPerProject) {
      throw new CdfError(
        400,
        `The project already has ${FUNCTION_LIMITS.functionsPerProject} functions, CDF's limit per project; delete unused functions first`,
      );
    }
    if (input.externalId !== undefined && this.find({ externalId: input.externalId })) {
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
      id: this.#nextId++,
      functionPath: input.functionPath ?? "handler.py",
      cpu: input.cpu ?? FUNCTION_LIMITS.cpuCores.default,
      memory: input.memory ?? FUNCTION_LIMITS.memoryGb.default,
      runtime: input.runtime ?? "py313",
      createdTime: now,
      status: "Queued",
      deployingAt,
      readyAt: deployingAt + this.#ctx.settings.deployDeployingMs,
    };
    this.#records.set(fn.id, fn);
    // CDF builds from a copy: deleting or overwriting the file later does not change the function.
    this.#zips.set(fn.id, new Uint8Array(content));
    this.#deployCheck(fn);
    await this.#advance(fn, now);
    return fn;
  }

  /** Forget the function and its code; its schedules are the caller's (FunctionsService). */
  delete(fn: FunctionRecord): void {
    this.#records.delete(fn.id);
    this.#zips.delete(fn.id);
    this.#checks.delete(fn.id);
    this.#codeDirs.delete(fn.id);
  }

  /** The function's code, unzipped once into a temp directory the runtime removes on dispose. */
  codeDir(fn: FunctionRecord): Promise<string> {
    let dir = this.#codeDirs.get(fn.id);
    if (!dir) {
      dir = (async () => {
        const target = await this.#runtime.makeTempDir(`fn-${fn.id}`);
        await extractFunctionZip(this.#zips.get(fn.id) ?? new Uint8Array(), target);
        return target;
      })();
      this.#codeDirs.set(fn.id, dir);
    }
    return dir;
  }

  /**
   * The deploy's outcome: starts at creation, awaited when Deploying ends. It never rejects:
   * nobody awaits it before Deploying ends, and a rejection then would crash the emulator.
   */
  #deployCheck(fn: FunctionRecord): Promise<HarnessOutcome> {
    let check = this.#checks.get(fn.id);
    if (!check) {
      check = (async (): Promise<HarnessOutcome> => {
        let dir: string;
        try {
          dir = await this.codeDir(fn);
        } catch (e) {
          const message =
            e instanceof FunctionZipError
              ? e.message
              : `The emulator could not unpack the function's code: ${(e as Error).message}`;
          return { ok: false, message, trace: null };
        }
        return this.#runtime.check(dir, fn.functionPath);
      })();
      this.#checks.set(fn.id, check);
    }
    return check;
  }

  async #advance(fn: FunctionRecord, now: number): Promise<void> {
    if (fn.status === "Queued" && now >= fn.deployingAt) fn.status = "Deploying";
    if (fn.status !== "Deploying" || now < fn.readyAt) return;
    const outcome = await this.#deployCheck(fn);
    if (!this.#records.has(fn.id) || fn.status !== "Deploying") return;
    if (this.faultsOf(fn)?.failDeploy) {
      fn.status = "Failed";
      fn.error = { message: "Deployment failed (emulator fault injection: failDeploy)", trace: null };
    } else if (outcome.ok) {
      fn.status = "Ready";
    } else {
      fn.status = "Failed";
      fn.error = { message: outcome.message, trace: outcome.trace };
    }
  }

  /** Moves each function through Queued -> Deploying -> Ready | Failed at its instants. */
  deployment(): ClockParticipant {
    return {
      nextWakeup: (now) => {
        let next: number | undefined;
        for (const fn of this.#records.values()) {
          const at =
            fn.status === "Queued" ? fn.deployingAt : fn.status === "Deploying" ? fn.readyAt : undefined;
          if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
        }
        return next;
      },
      onTime: async (now) => {
        for (const fn of [...this.#records.values()]) await this.#advance(fn, now);
      },
    };
  }

  reset(): void {
    this.#records.clear();
    this.#zips.clear();
    this.#codeDirs.clear();
    this.#checks.clear();
    this.#nextId = FIRST_FUNCTION_ID;
  }

  snapshot(): SavedFunctions {
    return { nextId: this.#nextId, functions: [...this.#records.values()], zips: new Map(this.#zips) };
  }

  restore(saved: SavedFunctions): void {
    this.reset();
    this.#nextId = saved.nextId;
    for (const fn of saved.functions) {
      this.#records.set(fn.id, fn);
      const zip = saved.zips.get(fn.id);
      if (zip) this.#zips.set(fn.id, zip);
    }
  }
}
