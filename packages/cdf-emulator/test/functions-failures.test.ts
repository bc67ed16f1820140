// How function failures reach a user: each ends as a Failed function or call whose message says
// what happened, or as a start-up error naming the file; never as a crash of the emulator, a
// vague "exited without a result", or mangled logs.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import {
  call,
  createFunction,
  DEPLOY_DEPLOYING_MS,
  DEPLOY_QUEUED_MS,
  deploy,
  finished,
  functionsContractOptions,
  getFunction,
  projectPath,
  uploadFile,
  zipOf,
} from "./fixtures/functionKit.js";

const settings = { deployQueuedMs: DEPLOY_QUEUED_MS, deployDeployingMs: DEPLOY_DEPLOYING_MS };

describe("failures of a running emulator", () => {
  let emulator: Emulator;
  let client: CogniteClient;
  emulatorSuite(
    { project: "functions-failures", contract: functionsContractOptions, settings },
    (started) => {
      ({ emulator, client } = started);
    },
  );

  it("a temp directory that cannot be made fails the deploy with a sentence, and the emulator lives on", async () => {
    const fileId = await uploadFile(
      client,
      zipOf({ "handler.py": "def handle():\n    return 1\n" }),
      "no-tmp",
    );
    const missingTmp = join(tmpdir(), "cdf-emulator-test-missing", "tmp");
    const saved = process.env.TMPDIR;
    // The code is unpacked into a fresh temp directory as the function is created.
    process.env.TMPDIR = missingTmp;
    let created: { id: number };
    try {
      created = await createFunction(emulator, client, { name: "no-tmp", externalId: "no-tmp", fileId });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    await emulator.control.advanceClock(DEPLOY_QUEUED_MS + DEPLOY_DEPLOYING_MS);
    const fn = await getFunction(emulator, client, created.id);
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(
      new RegExp(`^The emulator could not unpack the function's code: ENOENT.*${missingTmp}`),
    );
    // The same code deploys once the temp directory is there again.
    expect(
      (await deploy(emulator, client, "with-tmp", zipOf({ "handler.py": "def handle():\n    return 1\n" })))
        .status,
    ).toBe("Ready");
  });

  it("keeps multi-byte characters whole in logs, wherever the pipe splits the output", async () => {
    // 3-byte characters in a line longer than a pipe buffer: some chunk ends inside one.
    const fn = await deploy(emulator, client, "euros", {
      "handler.py": "def handle():\n    print('\\u20ac' * 100000)\n    return 1\n",
    });
    const done = await finished(emulator, client, fn.id, (await call(emulator, client, fn.id)).id);
    expect(done.status).toBe("Completed");
    const logs = await client.get<{ items: Array<{ message: string }> }>(
      projectPath(emulator, `/functions/${fn.id}/calls/${done.id}/logs`),
    );
    expect(logs.data.items.map((l) => l.message)).toEqual(["€".repeat(100000)]);
  });

  it("says how a process that ended without a result ended, quoting its last error line", async () => {
    const fn = await deploy(emulator, client, "exits", {
      "handler.py": [
        "import os, signal, sys",
        "def handle(data):",
        "    sys.stderr.write('about to go\\n')",
        "    sys.stderr.flush()",
        "    if data['how'] == 'exit':",
        "        os._exit(3)",
        "    os.kill(os.getpid(), signal.SIGKILL)",
        "",
      ].join("\n"),
    });
    const exited = await finished(
      emulator,
      client,
      fn.id,
      (await call(emulator, client, fn.id, { how: "exit" })).id,
    );
    expect(exited.status).toBe("Failed");
    expect(exited.error?.message).toBe(
      "The function's Python process exited with code 3 before returning a result: the handler or a library it uses ended the process (os._exit, a crash, or running out of memory); the call's logs hold all it printed. Its last error output: \"about to go\".",
    );
    const killed = await finished(
      emulator,
      client,
      fn.id,
      (await call(emulator, client, fn.id, { how: "kill" })).id,
    );
    expect(killed.error?.message).toMatch(
      /^The function's Python process was killed by SIGKILL before returning a result/,
    );
  });
});

describe("a deploy whose import ends the process", () => {
  let emulator: Emulator;
  let client: CogniteClient;
  emulatorSuite(
    { project: "functions-import-exit", contract: functionsContractOptions, settings },
    (started) => {
      ({ emulator, client } = started);
    },
  );

  it("fails with a message about the import, quoting the last error line", async () => {
    const fn = await deploy(emulator, client, "exits-at-import", {
      "handler.py": "import os, sys\nsys.stderr.write('no config\\n')\nsys.stderr.flush()\nos._exit(4)\n",
    });
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toBe(
      'The function\'s Python process exited with code 4 while importing the handler: the module or a library it imports ended the process (os._exit, a crash, or running out of memory). Its last error output: "no config".',
    );
  });
});

describe("a saved state that cannot be used stops the start, naming the file", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cdf-emulator-functions-state-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () => startEmulator({ port: 0, project: "state", settings, dataDir });

  it("names state.json and the bad field when it is not the functions state", async () => {
    const first = await start();
    const client = createTestClient(first);
    await deploy(first, client, "kept", { "handler.py": "def handle():\n    return 1\n" });
    await first.close();
    const stateFile = join(dataDir, "functions", "state.json");
    const state = JSON.parse(await readFile(stateFile, "utf8")) as { functions: Array<{ status: string }> };
    (state.functions[0] as { status: string }).status = "Sleeping";
    await writeFile(stateFile, JSON.stringify(state));
    await expect(start()).rejects.toThrow(
      `${stateFile} does not hold the functions state the emulator writes (at functions.0.status: `,
    );
  });

  it("names the function's zip when it is missing", async () => {
    await rm(dataDir, { recursive: true, force: true });
    const first = await start();
    const client = createTestClient(first);
    const fn = await deploy(first, client, "kept", { "handler.py": "def handle():\n    return 1\n" });
    await first.close();
    const zip = join(dataDir, "functions", `${fn.id}.zip`);
    await rm(zip);
    await expect(start()).rejects.toThrow(
      `${zip} cannot be read (ENOENT); it holds the code of function ${fn.id} listed in state.json`,
    );
  });
});
