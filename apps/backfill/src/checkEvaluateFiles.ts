import { constants, type Stats } from "node:fs";
import { access, lstat, realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { displayPath } from "./displayPath.js";
import type { EvaluateOptions } from "./evaluateOptions.js";
import { IoError } from "./ioError.js";
import { type PointFileFormat, pointFileFormat } from "./readPointFile.js";
import { UsageError } from "./usageError.js";

/** What the checks found out about the files of a run. */
export interface EvaluateFiles {
  /** The format of each --input, in order. */
  formats: PointFileFormat[];
  /** Where the results go, and how. */
  out: ResultTarget;
}

/**
 * "stdout": no --out, or --out names the file stdout is redirected to (`--out /dev/stdout >
 * r.csv`): written to stdout as it comes. "file": through a temp file beside `path` and a rename
 * onto it; `path` is the real file, so a symlink given as --out stays a link to the new result.
 * "device": straight into an existing pipe or device (/dev/stdout on a pipe or terminal, a FIFO).
 */
export type ResultTarget = { kind: "stdout" } | { kind: "file"; path: string } | { kind: "device" };

/** The identity of the file stdout is redirected to, when it is a regular file. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Usage errors are found before any work, so a typo in a path does not cost a 10-minute read
 * and no check comes after a file was touched. Throws UsageError (exit 2).
 */
export async function checkEvaluateFiles(
  options: EvaluateOptions,
  stdoutFile?: FileIdentity,
): Promise<EvaluateFiles> {
  const read: { flag: string; path: string; info: Stats }[] = [];
  read.push({ flag: "--config", path: options.config, info: await readable(options.config, "--config") });
  const formats: PointFileFormat[] = [];
  for (const path of options.inputs) {
    const format = pointFileFormat(path);
    if (format === undefined) {
      throw new UsageError(
        `--input ${displayPath(path)}: unknown file type; name it *.csv, *.jsonl or *.ndjson`,
      );
    }
    read.push({ flag: "--input", path, info: await readable(path, "--input") });
    formats.push(format);
  }

  // The same file by identity (device and inode), not by name: ./x.csv, a symlink and a hard
  // link all name the input, and writing the result there would destroy it.
  const sameAs = (info: { dev: number; ino: number }) =>
    read.find((file) => file.info.dev === info.dev && file.info.ino === info.ino);
  if (stdoutFile !== undefined && options.out === undefined) {
    const same = sameAs(stdoutFile);
    if (same !== undefined) {
      throw new UsageError(
        `stdout is redirected to ${same.flag} ${displayPath(same.path)} (with >, the shell has already emptied it); ` +
          "write the result to another file",
      );
    }
  }
  if (options.out === undefined) return { formats, out: { kind: "stdout" } };

  const out = options.out;
  // stat follows symlinks: what matters is the file the name leads to.
  const target = await stat(out).catch(() => undefined);
  if (target !== undefined) {
    const same = sameAs(target);
    if (same !== undefined) {
      throw new UsageError(
        `--out ${displayPath(out)} is the same file as ${same.flag} ${displayPath(same.path)}; ` +
          "writing the result there would destroy it. Choose another --out",
      );
    }
    if (target.isDirectory()) {
      throw new UsageError(`--out ${displayPath(out)} is a directory; give a file name`);
    }
    // A rename would put a new file in place of the name, cutting it off from the stdout the
    // shell holds open (/proc/self/fd/1, /dev/stdout) or replacing a device node.
    if (stdoutFile !== undefined && target.dev === stdoutFile.dev && target.ino === stdoutFile.ino) {
      return { formats, out: { kind: "stdout" } };
    }
    if (!target.isFile()) return { formats, out: { kind: "device" } };
    return {
      formats,
      out: {
        kind: "file",
        path: await realpath(out).catch((error) => {
          throw IoError.from(error, "read", out);
        }),
      },
    };
  }
  const link = await lstat(out).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    throw new UsageError(
      `--out ${displayPath(out)} is a symbolic link to a file that does not exist; ` +
        "give the file's own path, or remove the link",
    );
  }
  const directory = dirname(out);
  const info = await stat(directory).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new UsageError(
      `--out ${displayPath(out)}: directory ${displayPath(directory)} does not exist; create it first`,
    );
  }
  return { formats, out: { kind: "file", path: out } };
}

async function readable(path: string, flag: string): Promise<Stats> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new UsageError(`${flag} ${displayPath(path)}: no such file`);
    if (error.code === "ENOTDIR") {
      throw new UsageError(`${flag} ${displayPath(path)}: a part of the path is not a directory`);
    }
    throw IoError.from(error, "read", path);
  });
  if (info.isDirectory()) {
    throw new UsageError(`${flag} ${displayPath(path)} is a directory; give a file`);
  }
  if (!info.isFile()) {
    throw new UsageError(
      `${flag} ${displayPath(path)} is not a regular file (a pipe or a device?); give a file`,
    );
  }
  await access(path, constants.R_OK).catch(() => {
    throw new UsageError(`${flag} ${displayPath(path)}: not readable (check its permissions)`);
  });
  return info;
}
