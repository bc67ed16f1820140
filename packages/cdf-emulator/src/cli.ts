#!/usr/bin/env node
// `cdf-emulator`: run the emulator as a process for the demo and for development. Prints the
// connection details as JSON and as env lines, serves until SIGINT/SIGTERM, saves on exit.

import { Command, InvalidArgumentError } from "commander";
import { startEmulator } from "./emulator.js";

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
  $ cdf-emulator --port 4010 > .emulator.env &   # then: export $(grep '^CDF_' .emulator.env)
  $ curl -X POST localhost:4010/_emulator/clock -H 'content-type: application/json' -d '{"advance":"1h"}'`,
  );

async function main(): Promise<void> {
  const opts = program.parse(process.argv).opts<{
    port: number;
    host: string;
    project: string;
    dataDir?: string;
    clock?: number;
    json?: boolean;
  }>();
  const emulator = await startEmulator({
    port: opts.port,
    host: opts.host,
    project: opts.project,
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
  });
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
        console.error(`cdf-emulator: failed to save state on ${signal}:`, e);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  console.error(`cdf-emulator: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
