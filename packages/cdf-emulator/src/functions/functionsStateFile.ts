// The functions' saved state under --data-dir: `functions/<id>.zip` for each function's code and
// `functions/state.json` for the rest. A state file that does not hold what this module wrote
// (hand-edited, truncated by another tool, a zip deleted) stops the start with the file's name,
// rather than with a crash later, at the first tick or call that touches the bad record.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readStateFile, StateFileError, writeStateBytes, writeStateFile } from "../stateFile.js";
import type { CallRecord, SavedCalls } from "./callStore.js";
import { parseCronExpression } from "./cronExpression.js";
import { FUNCTION_RUNTIMES } from "./functionLimits.js";
import type { FunctionRecord, SavedFunctions } from "./functionStore.js";
import type { SavedSchedules, ScheduleRecord } from "./scheduleStore.js";

export interface FunctionsState {
  functions: SavedFunctions;
  calls: SavedCalls;
  schedules: SavedSchedules;
}

const id = z.number().int().positive();
// Virtual times are ms but need not be whole: the clock can be set to any finite number.
const time = z.number();
const strings = z.record(z.string(), z.string());

const functionRecord = z.object({
  id,
  name: z.string(),
  externalId: z.string().optional(),
  description: z.string().optional(),
  fileId: id,
  owner: z.string().optional(),
  functionPath: z.string().min(1),
  metadata: strings.optional(),
  secrets: strings.optional(),
  envVars: strings.optional(),
  cpu: z.number(),
  memory: z.number(),
  runtime: z.enum(FUNCTION_RUNTIMES),
  createdTime: time,
  status: z.enum(["Queued", "Deploying", "Ready", "Failed"]),
  error: z.object({ message: z.string(), trace: z.string().nullable() }).optional(),
  lastCalled: time.optional(),
  deployingAt: time,
  readyAt: time,
}) satisfies z.ZodType<FunctionRecord>;

const callRecord = z.object({
  id,
  functionId: id,
  status: z.enum(["Running", "Completed", "Failed", "Timeout"]),
  startTime: time,
  endTime: time.optional(),
  error: z.object({ message: z.string(), trace: z.string().optional() }).optional(),
  scheduleId: id.optional(),
  scheduledTime: time.optional(),
  sessionId: id,
  deadline: time,
}) satisfies z.ZodType<CallRecord>;

const scheduleRecord = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  cronExpression: z.string().refine(
    (text) => {
      try {
        parseCronExpression(text);
        return true;
      } catch {
        return false;
      }
    },
    { message: "not a cron expression the emulator accepts" },
  ),
  functionId: id,
  functionExternalId: z.string().optional(),
  createdTime: time,
  sessionId: id,
  data: z.record(z.string(), z.unknown()).optional(),
}) satisfies z.ZodType<ScheduleRecord>;

/** state.json as written since the first release of the functions store (ids as a triple). */
const savedState = z.object({
  nextIds: z.tuple([id, id, id]),
  functions: z.array(functionRecord),
  calls: z.array(callRecord),
  schedules: z.array(scheduleRecord),
  logs: z.array(z.tuple([id, z.array(z.object({ timestamp: time, message: z.string() }))])),
  responses: z.array(z.tuple([id, z.unknown()])),
  lastFiredTick: z.array(z.tuple([id, time])),
});

const STATE = "state.json";

export const functionsStateFile = {
  /** Write the zips first and state.json last: it lists only functions whose code is whole on disk. */
  async save(dir: string, state: FunctionsState): Promise<void> {
    const { functions, calls, schedules } = state;
    for (const [fnId, zip] of functions.zips) await writeStateBytes(dir, `${fnId}.zip`, zip);
    await writeStateFile(dir, STATE, {
      nextIds: [functions.nextId, calls.nextId, schedules.nextId],
      functions: functions.functions,
      calls: calls.calls,
      schedules: schedules.schedules,
      logs: calls.logs,
      responses: calls.responses,
      lastFiredTick: schedules.lastFiredTick,
    });
  },

  /** The saved state, or undefined when nothing was saved; throws StateFileError naming a bad file. */
  async load(dir: string): Promise<FunctionsState | undefined> {
    const raw = await readStateFile<unknown>(dir, STATE);
    if (raw === undefined) return undefined;
    const parsed = savedState.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.map(String).join(".") ?? "";
      throw new StateFileError(
        join(dir, STATE),
        `does not hold the functions state the emulator writes (${where === "" ? "" : `at ${where}: `}${issue?.message})`,
      );
    }
    const saved = parsed.data;
    const zips = new Map<number, Uint8Array>();
    for (const fn of saved.functions) {
      const file = join(dir, `${fn.id}.zip`);
      try {
        zips.set(fn.id, new Uint8Array(await readFile(file)));
      } catch (e) {
        throw new StateFileError(
          file,
          `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it holds the code of function ${fn.id} listed in ${STATE}`,
        );
      }
    }
    const [nextFunctionId, nextCallId, nextScheduleId] = saved.nextIds;
    return {
      functions: { nextId: nextFunctionId, functions: saved.functions, zips },
      calls: { nextId: nextCallId, calls: saved.calls, logs: saved.logs, responses: saved.responses },
      schedules: { nextId: nextScheduleId, schedules: saved.schedules, lastFiredTick: saved.lastFiredTick },
    };
  },
};
