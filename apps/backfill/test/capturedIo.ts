import { PassThrough } from "node:stream";
import type { CliIo } from "../src/program.js";

/** In-process CLI streams that remember what was written. */
export function capturedIo(
  options: { stderrIsTTY?: boolean; env?: Record<string, string> } = {},
): CliIo & { stdoutText(): string; stderrText(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  return {
    stdout,
    stderr,
    stderrIsTTY: options.stderrIsTTY ?? false,
    env: options.env ?? {},
    stdoutText: () => out,
    stderrText: () => err,
  };
}
