// The Python harness on its own: python3 runs src/functions/harness.py with the protocol that
// functionRuntime.ts speaks (argv: mode, code dir, functionPath, result file; the call's input as
// JSON on stdin; the outcome as JSON in the result file, stdout and stderr left to the handler).

import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pythonHarnessPath } from "../src/functions/pythonHarnessPath.js";

const HARNESS = fileURLToPath(new URL("../src/functions/harness.py", import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cdf-emulator-harness-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  ok: boolean;
  response?: unknown;
  message?: string;
  trace?: string | null;
}

async function runHarness(
  mode: string,
  handler: string | undefined,
  input?: unknown,
  functionPath = "handler.py",
): Promise<{ status: number | null; stdout: string; stderr: string; outcome: Outcome | undefined }> {
  if (handler !== undefined) await writeFile(join(dir, functionPath), handler);
  const result = join(dir, "result.json");
  await rm(result, { force: true });
  const run = spawnSync("python3", [HARNESS, mode, dir, functionPath, result], {
    input: input === undefined ? "" : JSON.stringify(input),
    encoding: "utf8",
  });
  const outcome = await readFile(result, "utf8").then(
    (text) => JSON.parse(text) as Outcome,
    () => undefined,
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, outcome };
}

const callInput = (data: unknown) => ({
  data,
  secrets: { key: "s3cret" },
  functionCallInfo: { function_id: 1, call_id: 2 },
  project: "p",
  baseUrl: "http://127.0.0.1:1",
  token: "t0ken",
});

describe("harness.py run directly by python3", () => {
  it("is the file the runtime runs", async () => {
    expect(await pythonHarnessPath()).toBe(HARNESS);
  });

  it("check: ok for a handler with handle, a failure naming the file otherwise", async () => {
    expect((await runHarness("check", "def handle(data):\n    return 1\n")).outcome).toEqual({ ok: true });
    const missing = await runHarness("check", "x = 1\n");
    expect(missing.outcome?.ok).toBe(false);
    expect(missing.outcome?.message).toBe(
      "AttributeError: The handler file 'handler.py' has no function named 'handle'",
    );
  });

  it("call: passes only the arguments handle names, keeps stdout for the handler", async () => {
    const handler = [
      "def handle(secrets, client, function_call_info):",
      "    print('hello from the handler')",
      "    name, value = client.config.credentials.authorization_header()",
      "    return [secrets, function_call_info, client.config.project, name, value]",
      "",
    ].join("\n");
    const run = await runHarness("call", handler, callInput({ ignored: true }));
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("hello from the handler\n");
    expect(run.outcome).toEqual({
      ok: true,
      response: [{ key: "s3cret" }, { function_id: 1, call_id: 2 }, "p", "Authorization", "Bearer t0ken"],
    });
  });

  it("call: the response is the handler's return value, for any JSON value", async () => {
    await writeFile(join(dir, "handler.py"), "def handle(data):\n    return data['values']\n");
    // Many values per python process: each process costs far more than the values it carries.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 40 }), async (values) => {
        const run = await runHarness("call", undefined, callInput({ values }));
        expect(run.outcome).toEqual({ ok: true, response: JSON.parse(JSON.stringify(values)) });
      }),
      { numRuns: 6 },
    );
  });

  it("call: a handler that raises is a failure with its message and traceback", async () => {
    const run = await runHarness("call", "def handle():\n    raise ValueError('bad input')\n", callInput({}));
    expect(run.outcome?.ok).toBe(false);
    expect(run.outcome?.message).toBe("ValueError: bad input");
    expect(run.outcome?.trace).toMatch(/Traceback[\s\S]*handler\.py[\s\S]*ValueError: bad input/);
  });

  it("call: input that is not the protocol's JSON is a failure saying the call could not be prepared", async () => {
    await writeFile(join(dir, "handler.py"), "def handle(data):\n    return 1\n");
    const result = join(dir, "result.json");
    spawnSync("python3", [HARNESS, "call", dir, "handler.py", result], { input: "not json" });
    const outcome = JSON.parse(await readFile(result, "utf8")) as Outcome;
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/^The call could not be prepared: JSONDecodeError: /);
  });

  it("call: a return value nested too deep for JSON is a failure, not a crash without a result", async () => {
    const handler = "def handle():\n    v = []\n    for _ in range(100000):\n        v = [v]\n    return v\n";
    const run = await runHarness("call", handler, callInput({}));
    expect(run.outcome?.ok).toBe(false);
    expect(run.outcome?.message).toMatch(/^The function's return value is not JSON serializable: /);
  });

  it("refuses wrong arguments with a usage line and exit code 2", () => {
    const run = spawnSync("python3", [HARNESS, "deploy"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("usage: harness.py check|call <code dir> <functionPath> <result file>\n");
  });
});
