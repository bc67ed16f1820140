import { type FileHandle, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BrokenPipeError } from "./brokenPipeError.js";
import { IoError } from "./ioError.js";

// A failed run must never leave a half-written result where a previous good one was (or where a
// pipeline would pick it up): results go to a temp file in the target's directory (same file
// system, so the final rename is atomic), are flushed to disk, and are renamed over the target
// only after the last row. Rows are written as they are computed, so memory stays bounded.

const BUFFER_CHARS = 1 << 16;

/** A destination for result text: buffered, and for files, all or nothing. */
export interface ResultOutput {
  /** Creates the file now, so an unwritable destination fails before any work. */
  open(): Promise<void>;
  write(text: string): Promise<void>;
  /** Flushes and, for a file, renames the temp file onto the target. */
  commit(): Promise<void>;
  /** Discards everything written; for a file, removes the temp file. Safe to call after a failure. */
  abort(): Promise<void>;
}

/**
 * Writes to `stream` (stdout), which is never closed. A reader that goes away (EPIPE) ends the
 * run with BrokenPipeError; any other write error (ENOSPC on a full disk) with IoError.
 */
export function streamOutput(stream: NodeJS.WritableStream, name = "stdout"): ResultOutput {
  let failure: Error | undefined;
  // Without a listener, a write error (emitted after write() returned) would crash the process.
  stream.on("error", (error: Error) => {
    failure ??= error;
  });
  let buffer = "";
  const fail = (error: Error): never => {
    if ((error as NodeJS.ErrnoException).code === "EPIPE") throw new BrokenPipeError();
    throw IoError.from(error, "write to", name);
  };
  const flush = async (): Promise<void> => {
    if (failure !== undefined) fail(failure);
    if (buffer === "") return;
    const text = buffer;
    buffer = "";
    // The callback reports this write's own error; waiting for it also bounds what is queued.
    await new Promise<void>((resolve, reject) => {
      stream.write(text, (error) => (error ? reject(error) : resolve()));
    }).catch(fail);
  };
  return {
    async open() {},
    async write(text) {
      buffer += text;
      if (buffer.length >= BUFFER_CHARS) await flush();
    },
    commit: flush,
    async abort() {
      buffer = "";
    },
  };
}

/**
 * Writes to a temp file beside `path`, renamed onto `path` on commit. `tempSuffix` starts with
 * the writer's pid followed by "-": after a commit, temp files of the same target left by writers
 * that were killed (kill -9 or a crash gives no chance to clean up) are removed.
 */
export function atomicFileOutput(
  path: string,
  tempSuffix: string,
): ResultOutput & { readonly tempPath: string } {
  const tempPath = join(dirname(path), `.${basename(path)}.${tempSuffix}.tmp`);
  const output = handleOutput(path, tempPath);
  return {
    ...output,
    tempPath,
    async commit() {
      await output.commit();
      await removeStaleTemps(path, tempPath);
    },
  };
}

/** A temp file this old whose writer is gone is a leftover, never a write in progress. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes `.<name>.<pid>-<tag>.tmp` beside `path` when process <pid> does not exist here and the
 * file has not changed for STALE_TEMP_MS: the age guards a writer on another machine sharing the
 * directory, whose pid means nothing here. Best effort: the result is already committed.
 */
async function removeStaleTemps(path: string, ownTemp: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const full = join(dir, name);
    if (full === ownTemp) continue;
    const pid = /^(\d+)-[a-z0-9]+$/.exec(name.slice(prefix.length, -".tmp".length))?.[1];
    if (pid === undefined || processExists(Number(pid))) continue;
    const info = await stat(full).catch(() => undefined);
    if (info === undefined || !info.isFile() || Date.now() - info.mtimeMs < STALE_TEMP_MS) continue;
    await rm(full, { force: true }).catch(() => {});
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Writes straight into `path`, for a destination that is not a regular file and cannot be
 * replaced by a rename: a named pipe, /dev/stdout, /dev/null. What is written stays written.
 */
export function deviceOutput(path: string): ResultOutput {
  return handleOutput(path, undefined);
}

function handleOutput(
  path: string,
  tempPath: string | undefined,
): ResultOutput & { readonly tempPath: string } {
  const writePath = tempPath ?? path;
  let handle: FileHandle | undefined;
  let opened: Promise<FileHandle> | undefined;
  let buffer = "";
  const failed = (action: string) => (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "EPIPE") throw new BrokenPipeError();
    throw IoError.from(error, action, path);
  };
  const ensureOpen = (): Promise<FileHandle> => {
    // "wx": a temp file of the same name is never someone else's file to overwrite.
    opened ??= open(writePath, tempPath === undefined ? "w" : "wx", 0o666).then(
      (h) => {
        handle = h;
        return h;
      },
      failed(tempPath === undefined ? "open" : "create a temp file beside"),
    );
    return opened;
  };
  const flush = async (): Promise<void> => {
    const file = await ensureOpen();
    if (buffer === "") return;
    const bytes = Buffer.from(buffer, "utf8");
    buffer = "";
    // A write may be partial (a pipe, a disk filling up); the rest follows until all is written.
    for (let at = 0; at < bytes.length; ) {
      const { bytesWritten } = await file.write(bytes, at, bytes.length - at).catch(failed("write"));
      at += bytesWritten;
    }
  };
  return {
    tempPath: writePath,
    async open() {
      await ensureOpen();
    },
    async write(text) {
      buffer += text;
      if (buffer.length >= BUFFER_CHARS) await flush();
    },
    async commit() {
      await flush();
      const file = await ensureOpen();
      if (tempPath === undefined) {
        await file.close().catch(failed("write"));
        return;
      }
      // On disk before the rename makes it visible: a crash then leaves the old file or the new
      // one, never a renamed but empty one.
      await file.sync().catch(failed("write"));
      await file.close().catch(failed("write"));
      handle = undefined;
      await rename(tempPath, path).catch(failed("replace"));
    },
    async abort() {
      buffer = "";
      await handle?.close().catch(() => {});
      handle = undefined;
      if (tempPath !== undefined && opened !== undefined) await rm(tempPath, { force: true });
    },
  };
}
