import { displayPath } from "./displayPath.js";

// What the operating system refused, in words a user can act on; the code stays for searching.
const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "the file is too large for the file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  EIO: "input/output error (a failing disk or a lost network share?)",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many levels of symbolic links",
  EXDEV: "the temp file and the target are on different file systems",
};

/**
 * The system refused to read or write a file (no space, no permission, a read-only disk).
 * Exit code 3: the data and the command were fine; the machine was not.
 */
export class IoError extends Error {
  readonly exitCode = 3;
  constructor(message: string) {
    super(message);
    this.name = "IoError";
  }

  /** `cannot <action> <path>: <reason> (<CODE>)`, from a Node system error. */
  static from(error: unknown, action: string, path: string): IoError {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reason =
      code === undefined ? (error as Error).message : `${REASONS[code] ?? "system error"} (${code})`;
    return new IoError(`cannot ${action} ${displayPath(path)}: ${reason}`);
  }
}
