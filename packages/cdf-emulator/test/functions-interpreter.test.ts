// The function runtime starts python as CDF does: the interpreter itself, not a launcher script
// in front of it (pyenv's shim, a bash script, costs every call about a quarter of a second).

import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionRuntime } from "../src/functions/functionRuntime.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cdf-emulator-interpreter-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A launcher in front of python3 that notes each start in `starts`. */
async function launcher(): Promise<{ path: string; starts: () => Promise<number> }> {
  const path = join(dir, "launcher");
  const log = join(dir, "starts");
  await writeFile(path, `#!/bin/sh\necho started >> '${log}'\nexec python3 "$@"\n`);
  await chmod(path, 0o755);
  return {
    path,
    starts: () =>
      readFile(log, "utf8").then(
        (text) => text.split("\n").filter(Boolean).length,
        () => 0,
      ),
  };
}

describe("the function runtime's python", () => {
  it("asks a launcher once for the interpreter and starts every call with the interpreter itself", async () => {
    const { path, starts } = await launcher();
    await writeFile(join(dir, "handler.py"), "def handle(data):\n    return data\n");
    const runtime = new FunctionRuntime({ python: path });
    for (let i = 0; i < 3; i++) expect((await runtime.check(dir, "handler.py")).ok).toBe(true);
    expect(await starts()).toBe(1);
  });

  it("still says which python could not start when the name is no interpreter at all", async () => {
    const runtime = new FunctionRuntime({ python: join(dir, "no-such-python") });
    await writeFile(join(dir, "handler.py"), "def handle(data):\n    return data\n");
    const outcome = await runtime.check(dir, "handler.py");
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.message).toContain(`Could not start '${join(dir, "no-such-python")}'`);
  });
});
