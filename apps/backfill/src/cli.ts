#!/usr/bin/env node
import { fstatSync } from "node:fs";
import { IoError } from "./ioError.js";
import { runCli } from "./program.js";

// The imperative shell around runCli: signals, stdout's identity and a last line of defence.

// Whatever goes wrong outside runCli's own handling still ends in one line and a non-zero exit,
// never in a stack trace. The reader of stdout going away is not a failure.
const lastResort = (error: unknown): void => {
  if ((error as NodeJS.ErrnoException | undefined)?.code === "EPIPE") process.exit(process.exitCode ?? 0);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(
    `kpi-backfill: error: internal error: ${JSON.stringify(text.split("\n")[0]!.slice(0, 300))}. This is a bug in kpi-backfill; please report it with the command you ran\n`,
  );
  process.exit(70);
};
process.on("uncaughtException", lastResort);
process.on("unhandledRejection", lastResort);
// Write errors on stdout during a run are reported by the output that made them; this listener
// keeps an error on a write made elsewhere (help text) from crashing the process, and is
// reported below.
let stdoutError: Error | undefined;
process.stdout.on("error", (error) => {
  stdoutError ??= error;
});
process.stderr.on("error", () => {});

// The first Ctrl-C (or SIGTERM) stops the run between steps and removes its temp file; a second
// one ends the process at once, as the listener is gone.
const controller = new AbortController();
let signalExit: number | undefined;
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    signalExit = code;
    controller.abort(new Error(`interrupted by ${signal}`));
  });
}

// Redirecting stdout to an input (`> points.csv`) has already emptied it; say so, do not add to it.
const out = (() => {
  try {
    return fstatSync(1);
  } catch {
    return undefined; // stdout closed
  }
})();
const exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  signal: controller.signal,
  stdoutFile: out?.isFile() ? { dev: out.dev, ino: out.ino } : undefined,
});
// Help text into a full disk fails after it was queued; wait for it, then say so.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
if (exitCode === 0 && stdoutError !== undefined && (stdoutError as NodeJS.ErrnoException).code !== "EPIPE") {
  process.stderr.write(`kpi-backfill: error: ${IoError.from(stdoutError, "write to", "stdout").message}\n`);
  process.exitCode = 3;
} else {
  process.exitCode = exitCode === 130 && signalExit !== undefined ? signalExit : exitCode;
}
