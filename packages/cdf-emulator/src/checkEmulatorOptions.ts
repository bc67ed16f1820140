// What `startEmulator` refuses before it listens: options that would only fail later (a data
// dir that is a file is otherwise found out when the exit save fails, losing the session's
// writes) or that no CDF could have (an empty project, a clock outside CDF's years).

import { mkdir, stat } from "node:fs/promises";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./datapoints/timeSpec.js";

/** An option `startEmulator` cannot start with; the message names the option and what to give. */
export class EmulatorOptionError extends Error {
  constructor(
    /** The `startEmulator` option at fault (`project`, `port`, `dataDir`, `clock`). */
    readonly option: "project" | "port" | "dataDir" | "clock",
    /** What is wrong and what to give instead, without the option's name. */
    readonly problem: string,
  ) {
    super(`${option} ${problem}`);
    this.name = "EmulatorOptionError";
  }
}

// A project name is a path segment of every CDF URL, so it must survive one unescaped.
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

export async function checkEmulatorOptions(options: {
  project: string;
  port?: number;
  dataDir?: string;
  clock?: number;
}): Promise<void> {
  if (!PROJECT_NAME.test(options.project)) {
    throw new EmulatorOptionError(
      "project",
      `${JSON.stringify(options.project)} is not a project name: give letters, digits, '-', '_', '.' or '~', starting with a letter or digit (e.g. "demo").`,
    );
  }
  const port = options.port;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new EmulatorOptionError(
      "port",
      `${port} is not a port: give an integer 0-65535 (0 = any free port).`,
    );
  }
  if (options.clock !== undefined) checkClockTime(options.clock);
  if (options.dataDir !== undefined) await ensureDataDir(options.dataDir);
}

function checkClockTime(ms: number): void {
  const problem = clockTimeProblem(ms);
  if (problem !== undefined) throw new EmulatorOptionError("clock", problem);
}

/**
 * Why `ms` cannot be the virtual clock's time, or undefined when it can: CDF stores times of the
 * years 1900-2099 only, so a clock outside them could not even write a datapoint at "now".
 */
export function clockTimeProblem(ms: number): string | undefined {
  if (Number.isFinite(ms) && ms >= MIN_TIMESTAMP && ms <= MAX_TIMESTAMP) return undefined;
  const shown = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
  return `${shown} is outside the times CDF stores: give a time from 1900-01-01T00:00:00.000Z to 2099-12-31T23:59:59.999Z (${MIN_TIMESTAMP} to ${MAX_TIMESTAMP} ms).`;
}

/** Creates the data dir now, so a path that cannot hold one fails the start, not the exit save. */
async function ensureDataDir(dir: string): Promise<void> {
  if (dir.trim() === "") throw new EmulatorOptionError("dataDir", "is empty: give a directory path.");
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new EmulatorOptionError(
      "dataDir",
      `${dir} is a file, not a directory: give a directory (it is created if missing).`,
    );
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new EmulatorOptionError(
      "dataDir",
      `${dir} cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give a directory path you can write to.`,
    );
  }
}
