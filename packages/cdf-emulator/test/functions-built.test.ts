// The built CLI runs functions: tsup bundles the runtime into dist/ and must ship the Python
// harness beside it (tsup.config.ts copies it), or every deploy of the built emulator fails.
// This builds the package as `pnpm test` does (a turbo cache hit there) and drives `dist/cli.js`.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CogniteClient } from "@cognite/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchEmulatorToken } from "../src/testing/index.js";
import { type CallBody, type FunctionBody, nonce, uploadFile, zipOf } from "./fixtures/functionKit.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(packageDir, "dist", "cli.js");

interface CliInfo {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  project: string;
}

let child: ChildProcess | undefined;
let info: CliInfo;
let client: CogniteClient;

beforeAll(async () => {
  try {
    execFileSync(
      "pnpm",
      [
        "exec",
        "turbo",
        "run",
        "build",
        "--filter",
        "@kpi-pipeline/cdf-emulator",
        "--output-logs=errors-only",
      ],
      { cwd: packageDir, encoding: "utf8", stdio: "pipe" },
    );
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    throw new Error(`The package does not build, so its dist/ cannot be tested:\n${stdout}${stderr}`);
  }
  const started = spawn(process.execPath, [cli, "--port", "0", "--project", "built", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = started;
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: started.stdout }).once("line", resolve);
    started.once("exit", (code) => reject(new Error(`dist/cli.js exited with ${code} before printing`)));
  });
  info = JSON.parse(firstLine) as CliInfo;
  client = new CogniteClient({
    appId: "built-cli-test",
    project: info.project,
    baseUrl: info.baseUrl,
    oidcTokenProvider: () => fetchEmulatorToken(info, info),
  });
}, 180_000);

afterAll(() => {
  child?.kill("SIGTERM");
});

const path = (p: string) => `/api/v1/projects/${info.project}${p}`;

async function advanceClock(advance: string): Promise<void> {
  const response = await fetch(`${info.baseUrl}/_emulator/clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ advance }),
  });
  expect(response.status).toBe(200);
}

describe("the built package (dist/)", () => {
  it("ships the harness beside the bundle", () => {
    expect(existsSync(join(packageDir, "dist", "harness.py"))).toBe(true);
  });

  it("dist/cli.js deploys a function and runs a call through the harness", async () => {
    const fileId = await uploadFile(
      client,
      zipOf({ "handler.py": "def handle(data):\n    print('built')\n    return {'twice': data['n'] * 2}\n" }),
      "built-code",
    );
    const created = await client.post<{ items: FunctionBody[] }>(path("/functions"), {
      data: { items: [{ name: "built", externalId: "built", fileId }] },
    });
    const fnId = (created.data.items[0] as FunctionBody).id;
    await advanceClock("1h");
    const fn = (await client.get<FunctionBody>(path(`/functions/${fnId}`))).data;
    expect(fn.error).toBeUndefined();
    expect(fn.status).toBe("Ready");

    const started = await client.post<CallBody>(path(`/functions/${fnId}/call`), {
      data: { data: { n: 21 }, nonce: await nonce(client) },
    });
    let callBody = started.data;
    for (const deadline = Date.now() + 60_000; callBody.status === "Running" && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
      callBody = (await client.get<CallBody>(path(`/functions/${fnId}/calls/${callBody.id}`))).data;
    }
    expect(callBody.status).toBe("Completed");
    const response = await client.get<{ response: unknown }>(
      path(`/functions/${fnId}/calls/${callBody.id}/response`),
    );
    expect(response.data.response).toEqual({ twice: 42 });
    const logs = await client.get<{ items: Array<{ message: string }> }>(
      path(`/functions/${fnId}/calls/${callBody.id}/logs`),
    );
    expect(logs.data.items.map((l) => l.message)).toEqual(["built"]);
  });
});
