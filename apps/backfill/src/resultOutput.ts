import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

// A failed run must never leave a half-written result where a previous good one was (or where a
// pipeline would pick it up): results go to a temp file in the target's directory (same file
// system, so the final rename is atomic) and are renamed over the target only after the last row.

const BUFFER_CHARS = 1 << 16;

/** A destination for result text: buffered, and for files, all or nothing. */
export interface ResultOutput {
  write(text: string): Promise<void>;
  /** Flushes and, for a file, renames the temp file onto the target. */
  commit(): Promise<void>;
  /** Discards everything written; for a file, removes the temp file. Safe to call after a failure. */
  abort(): Promise<void>;
}

/** Writes to `stream` (stdout), which is never closed. */
export function streamOutput(stream: NodeJS.WritableStream): ResultOutput {
  let buffer = "";
  const flush = async (): Promise<void> => {
    if (buffer === "") return;
    const text = buffer;
    buffer = "";
    if (!stream.write(text)) await once(stream, "drain");
  };
  return {
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

/** Writes to a temp file beside `path`, renamed onto `path` on commit. */
export function atomicFileOutput(
  path: string,
  tempSuffix: string,
): ResultOutput & { readonly tempPath: string } {
  const tempPath = join(dirname(path), `.${basename(path)}.${tempSuffix}.tmp`);
  let file: WriteStream | undefined;
  let buffer = "";
  const open = async (): Promise<WriteStream> => {
    if (file === undefined) {
      file = createWriteStream(tempPath, { flags: "wx" });
      await once(file, "open");
    }
    return file;
  };
  const flush = async (): Promise<void> => {
    const stream = await open();
    if (buffer === "") return;
    const text = buffer;
    buffer = "";
    if (!stream.write(text)) await once(stream, "drain");
  };
  return {
    tempPath,
    async write(text) {
      buffer += text;
      if (buffer.length >= BUFFER_CHARS) await flush();
    },
    async commit() {
      await flush();
      const stream = await open();
      await new Promise<void>((resolve, reject) => {
        stream.once("error", reject);
        stream.end(() => resolve());
      });
      await rename(tempPath, path);
    },
    async abort() {
      buffer = "";
      if (file !== undefined) {
        file.destroy();
        await rm(tempPath, { force: true });
      }
    },
  };
}
