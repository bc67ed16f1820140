import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { CdfConnection } from "../src/cdfConnection.js";
import { cdfSettingsFromEnvironment } from "../src/cdfSettings.js";
import { connectCdf } from "../src/connectCdf.js";

// The benches run the emulator in a child process, so its CPU is not counted as ours.

/** Starts the emulator at virtual time `clock` and connects to it with client credentials. */
export async function startEmulatorChild(
  clock: string,
): Promise<{ child: ChildProcess; cdf: CdfConnection }> {
  const cli = join(dirname(fileURLToPath(import.meta.resolve("@kpi-pipeline/cdf-emulator"))), "cli.js");
  const child = spawn(
    process.execPath,
    [cli, "--port", "0", "--project", "bench", "--json", "--clock", clock],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the emulator exited with ${code} before it started`)));
  });
  const endpoint = JSON.parse(first) as Record<string, string>;
  try {
    const cdf = await connectCdf(
      cdfSettingsFromEnvironment({
        CDF_PROJECT: endpoint["project"],
        CDF_BASE_URL: endpoint["baseUrl"],
        CDF_TOKEN_URL: endpoint["tokenUrl"],
        CDF_CLIENT_ID: endpoint["clientId"],
        CDF_CLIENT_SECRET: endpoint["clientSecret"],
      }),
    );
    return { child, cdf };
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
}
