// The JSON files the stores keep their state in under --data-dir (see `EmulatorStore.save/load`).

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Save `state` as `dir/name` by writing a temporary file and renaming it over the old one: a save
 * cut short (a killed process) leaves the previous state whole rather than half a file.
 */
export async function writeStateFile(dir: string, name: string, state: unknown): Promise<void> {
  await writeStateBytes(dir, name, JSON.stringify(state));
}

/** `writeStateFile` for bytes that are not JSON (file contents, function zips, datapoint columns). */
export async function writeStateBytes(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  // One temp name per file: saves run one at a time (emulator.ts), and a fixed name lets a test
  // block it to cut a save short.
  await writeFile(`${file}.tmp`, data);
  await rename(`${file}.tmp`, file);
}

/**
 * The state saved as `dir/name`, or undefined when the file cannot be read (nothing saved yet).
 * A file that is there but is not JSON fails the start with its path and what to do about it.
 */
export async function readStateFile<T>(dir: string, name: string): Promise<T | undefined> {
  const file = join(dir, name);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StateFileError(file, `is not valid JSON (${(e as Error).message})`);
  }
}

/** A saved state file the emulator cannot use: names the file and how to get going again. */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(
      `${file} ${problem}. Fix the file, delete it to start without the state it holds, or restore the data dir from a backup.`,
    );
    this.name = "StateFileError";
  }
}
