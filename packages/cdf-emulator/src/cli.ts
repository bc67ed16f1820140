#!/usr/bin/env node
// `cdf-emulator`: run the emulator as a process for the demo and for development. Prints the
// connection details as JSON and as env lines, serves until SIGINT/SIGTERM, saves on exit.

import { Command, InvalidArgumentError } from "commander";
import { EmulatorOptionError } from "./checkEmulatorOptions.js";
import { type Emulator, startEmulator } from "./emulator.js";
import { SaveError } from "./SaveError.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError("must be an integer 0-65535 (0 = any free port)");
  return n;
}

function clockStart(value: string): number {
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError("must be an ISO 8601 time (2024-01-01T00:00:00Z) or ms since the epoch");
  return ms;
}

const program = new Command()
  .name("cdf-emulator")
  .description(
    "A local Cognite Data Fusion: real HTTP, CDF's JSON shapes and limits, a virtual clock, a control API under /_emulator/.",
  )
  .option("--port <port>", "port to listen on (0 = any free port)", port, 4010)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--project <project>", "CDF project name to serve", "demo")
  .option(
    "--data-dir <dir>",
    "persist state here (loaded on start, saved on exit and on POST /_emulator/save)",
  )
  .option(
    "--clock <time>",
    "start of the virtual clock (ignored when --data-dir holds a saved clock)",
    clockStart,
  )
  .option("--json", "print only the JSON line (no env lines)")
  .addHelpText(
    "after",
    `
Examples:
  $ cdf-emulator --port 4010 --project demo --data-dir ./.emulator --clock 2024-01-01T00:00:00Z
  $ cdf-emulator --port 0 > .emulator.env &   # wait for a CDF_PROJECT= line, then: export $(grep '^CDF_' .emulator.env)
  $ curl -X POST localhost:4010/_emulator/clock -H 'content-type: application/json' -d '{"advance":"1h"}'`,
  );

/** Exit codes: 0 served and saved, 1 failed while running (start-up I/O, the exit save), 2 bad usage. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const FLAG_OF: Record<EmulatorOptionError["option"], string> = {
  project: "--project",
  port: "--port",
  dataDir: "--data-dir",
  clock: "--clock",
};

program.configureOutput({
  outputError: (message, write) => write(`cdf-emulator: ${message.replace(/^error: /, "")}`),
});
program.exitOverride((e) => {
  // Commander has already printed its message; help and version are not errors.
  process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
});

async function main(): Promise<void> {
  const opts = program.parse(process.argv).opts<{
    port: number;
    host: string;
    project: string;
    dataDir?: string;
    clock?: number;
    json?: boolean;
  }>();
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      port: opts.port,
      host: opts.host,
      project: opts.project,
      ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    });
  } catch (e) {
    if (e instanceof EmulatorOptionError) fail(`${FLAG_OF[e.option]} ${e.problem}`, EXIT_USAGE);
    fail(startFailure(e, opts), EXIT_FAILURE);
  }
  const info = {
    baseUrl: emulator.baseUrl,
    tokenUrl: emulator.tokenUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    project: emulator.project,
  };
  console.log(JSON.stringify(info));
  if (!opts.json) {
    console.log(`CDF_BASE_URL=${info.baseUrl}`);
    console.log(`CDF_TOKEN_URL=${info.tokenUrl}`);
    console.log(`CDF_CLIENT_ID=${info.clientId}`);
    console.log(`CDF_CLIENT_SECRET=${info.clientSecret}`);
    console.log(`CDF_PROJECT=${info.project}`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (e: unknown) => {
        const reason = e instanceof SaveError ? e.message : `${e instanceof Error ? e.message : String(e)}`;
        fail(`stopping on ${signal} failed: ${reason}`, EXIT_FAILURE);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** One line on stderr, never a stack trace, then exit. */
function fail(sentence: string, code: number): never {
  console.error(`cdf-emulator: ${sentence}`);
  process.exit(code);
}

function startFailure(e: unknown, opts: { port: number; host: string }): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return `port ${opts.port} on ${opts.host} is already in use: stop what uses it, or pick another with --port (0 = any free port).`;
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EACCES")
    return `cannot listen on ${opts.host}:${opts.port} (${code}): pick another --host or --port.`;
  return e instanceof Error ? e.message : String(e);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e), EXIT_FAILURE));
