import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Capability } from "../src/auth.js";
import { DEFAULT_SETTINGS, type Emulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import {
  type CallBody,
  call,
  createFunction,
  DEPLOY_DEPLOYING_MS,
  DEPLOY_QUEUED_MS,
  deploy,
  finished,
  functionsContractOptions,
  getFunction,
  nonce,
  projectPath,
  uploadFile,
  zipOf,
} from "./fixtures/functionKit.js";

let emulator: Emulator;
let client: CogniteClient;

const ECHO = `
def handle(data):
    print("got", data["x"])
    return {"echo": data}
`;

emulatorSuite(
  {
    project: "functions-test",
    contract: functionsContractOptions,
    settings: {
      deployQueuedMs: DEPLOY_QUEUED_MS,
      deployDeployingMs: DEPLOY_DEPLOYING_MS,
      functionTimeoutMinutes: 10,
    },
  },
  (started) => {
    ({ emulator, client } = started);
  },
);

const path = (p: string) => projectPath(emulator, p);

describe("deployment", () => {
  it("goes Queued -> Deploying -> Ready as the virtual clock passes the deploy delays", async () => {
    const fileId = await uploadFile(client, zipOf({ "handler.py": ECHO }), "echo-code");
    const created = await createFunction(emulator, client, { name: "echo", externalId: "echo", fileId });
    expect(created.status).toBe("Queued");
    await emulator.control.advanceClock(DEPLOY_QUEUED_MS);
    expect((await getFunction(emulator, client, created.id)).status).toBe("Deploying");
    await emulator.control.advanceClock(DEPLOY_DEPLOYING_MS - 1);
    expect((await getFunction(emulator, client, created.id)).status).toBe("Deploying");
    await emulator.control.advanceClock(1);
    expect((await getFunction(emulator, client, created.id)).status).toBe("Ready");
  });

  it("defaults functionPath to handler.py and runtime to py313, and masks secrets", async () => {
    const fn = await deploy(
      emulator,
      client,
      "defaults",
      { "handler.py": ECHO },
      { secrets: { "api-key": "s3cret" } },
    );
    expect(fn).toMatchObject({ functionPath: "handler.py", runtime: "py313", secrets: { "api-key": "***" } });
  });

  it("rejects a file that was created but not uploaded with 400", async () => {
    const file = await client.files.upload({ name: "empty.zip", externalId: "empty" });
    const error = await failure(createFunction(emulator, client, { name: "f", fileId: file.id }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/not uploaded/);
  });

  it("rejects an unknown file id with 400", async () => {
    const error = await failure(createFunction(emulator, client, { name: "f", fileId: 123 }));
    expect(error.status).toBe(400);
  });

  it("rejects an externalId that exists with 409 and names it in duplicated", async () => {
    await deploy(emulator, client, "twice", { "handler.py": ECHO });
    const fileId = await uploadFile(client, zipOf({ "handler.py": ECHO }), "twice-2");
    const error = await failure(
      createFunction(emulator, client, { name: "again", externalId: "twice", fileId }),
    );
    expect(error.status).toBe(409);
    expect(error.duplicated).toEqual([{ externalId: "twice" }]);
  });

  it("rejects more than 16 metadata pairs with 400", async () => {
    const fileId = await uploadFile(client, zipOf({ "handler.py": ECHO }), "meta");
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const error = await failure(createFunction(emulator, client, { name: "m", fileId, metadata }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/metadata/);
  });

  it("ends Failed when the file is not a zip", async () => {
    const fn = await deploy(emulator, client, "notzip", new TextEncoder().encode("just text"));
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(/not a valid zip/);
  });

  it("ends Failed when the zip has no handler at functionPath", async () => {
    const fn = await deploy(emulator, client, "nohandler", { "main.py": ECHO });
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(/handler\.py/);
  });

  it("ends Failed when the handler has no handle function", async () => {
    const fn = await deploy(emulator, client, "nohandle", { "handler.py": "def run(data):\n    return 1\n" });
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(/no function named 'handle'/);
  });

  it("ends Failed with the traceback when the handler does not import", async () => {
    const fn = await deploy(emulator, client, "syntax", { "handler.py": "def handle(data)\n    return 1\n" });
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(/SyntaxError/);
    expect(fn.error?.trace).toMatch(/Traceback/);
  });

  it("uses a handler below a functionPath", async () => {
    const fn = await deploy(
      emulator,
      client,
      "nested",
      { "src/main.py": ECHO },
      { functionPath: "src/main.py" },
    );
    expect(fn.status).toBe("Ready");
  });

  it("ends Failed when the failDeploy fault is set for the function", async () => {
    emulator.control.addFunctionFault({ function: "doomed", failDeploy: true });
    const fn = await deploy(emulator, client, "doomed", { "handler.py": ECHO });
    expect(fn.status).toBe("Failed");
    expect(fn.error?.message).toMatch(/fault injection/);
  });
});

describe("list, retrieve, delete, limits", () => {
  it("lists with a filter and retrieves by ids, naming missing ones", async () => {
    const a = await deploy(emulator, client, "kpi-a", { "handler.py": ECHO });
    await deploy(emulator, client, "other-b", { "handler.py": ECHO });
    const listed = await client.post<{ items: Array<{ id: number }> }>(path("/functions/list"), {
      data: { filter: { externalIdPrefix: "kpi-" }, limit: 10 },
    });
    expect(listed.data.items.map((f) => f.id)).toEqual([a.id]);
    const error = await failure(
      client.post(path("/functions/byids"), { data: { items: [{ id: a.id }, { externalId: "nope" }] } }),
    );
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ externalId: "nope" }]);
  });

  it("deletes a function with its schedules but keeps its code file", async () => {
    const fn = await deploy(emulator, client, "gone", { "handler.py": ECHO });
    await client.post(path("/functions/schedules"), {
      data: {
        items: [{ name: "s", cronExpression: "* * * * *", functionId: fn.id, nonce: await nonce(client) }],
      },
    });
    await client.post(path("/functions/delete"), { data: { items: [{ externalId: "gone" }] } });
    expect((await failure(getFunction(emulator, client, fn.id))).status).toBe(404);
    const schedules = await client.post<{ items: unknown[] }>(path("/functions/schedules/list"), {
      data: {},
    });
    expect(schedules.data.items).toEqual([]);
    expect((await client.files.retrieve([{ id: fn.fileId }]))[0]?.uploaded).toBe(true);
  });

  it("reports timeoutMinutes from the emulator settings in limits", async () => {
    const limits = await client.get<{ timeoutMinutes: number; runtimes: string[] }>(
      path("/functions/limits"),
    );
    expect(limits.data.timeoutMinutes).toBe(10);
    expect(limits.data.runtimes).toEqual(["py310", "py311", "py312", "py313"]);
  });
});

describe("calls", () => {
  it("runs the handler: printed lines become logs and the return value the response", async () => {
    const fn = await deploy(emulator, client, "echo", { "handler.py": ECHO });
    const started = await call(emulator, client, fn.id, { x: 42 });
    expect(started).toMatchObject({
      functionId: fn.id,
      status: "Running",
      startTime: emulator.control.now(),
    });
    const done = await finished(emulator, client, fn.id, started.id);
    expect(done.status).toBe("Completed");
    const response = await client.get(path(`/functions/${fn.id}/calls/${started.id}/response`));
    expect(response.data).toEqual({ callId: started.id, functionId: fn.id, response: { echo: { x: 42 } } });
    const logs = await client.get<{ items: Array<{ message: string }> }>(
      path(`/functions/${fn.id}/calls/${started.id}/logs`),
    );
    expect(logs.data.items.map((l) => l.message)).toEqual(["got 42"]);
  });

  it("passes only the arguments handle names, with function_call_info and secrets", async () => {
    const code = `
def handle(function_call_info, secrets):
    return {"info": function_call_info, "secret": secrets["api-key"]}
`;
    const fn = await deploy(
      emulator,
      client,
      "info",
      { "handler.py": code },
      { secrets: { "api-key": "s3cret" } },
    );
    const started = await call(emulator, client, fn.id);
    expect((await finished(emulator, client, fn.id, started.id)).status).toBe("Completed");
    const response = await client.get<{ response: unknown }>(
      path(`/functions/${fn.id}/calls/${started.id}/response`),
    );
    expect(response.data.response).toEqual({
      info: { function_id: fn.id, call_id: started.id },
      secret: "s3cret",
    });
  });

  it("gives the handler a client whose session token works against the emulator", async () => {
    const code = `
import json, urllib.request
def handle(client):
    name, value = client.config.credentials.authorization_header()
    url = client.config.base_url + "/api/v1/projects/" + client.config.project + "/functions/limits"
    req = urllib.request.Request(url, headers={name: value})
    with urllib.request.urlopen(req) as r:
        return {"header": name, "timeoutMinutes": json.loads(r.read())["timeoutMinutes"]}
`;
    const fn = await deploy(emulator, client, "client", { "handler.py": code });
    const started = await call(emulator, client, fn.id);
    const done = await finished(emulator, client, fn.id, started.id);
    expect(done.error).toBeUndefined();
    const response = await client.get<{ response: unknown }>(
      path(`/functions/${fn.id}/calls/${started.id}/response`),
    );
    expect(response.data.response).toEqual({ header: "Authorization", timeoutMinutes: 10 });
  });

  it("passes NODE_BINARY and the function's envVars to the process, so a handler can run node", async () => {
    const code = `
import os, subprocess
def handle():
    out = subprocess.run([os.environ["NODE_BINARY"], "-e", "console.log(6 * 7)"], capture_output=True, text=True)
    return {"node": out.stdout.strip(), "mode": os.environ["KPI_MODE"]}
`;
    const fn = await deploy(
      emulator,
      client,
      "node",
      { "handler.py": code },
      { envVars: { KPI_MODE: "dry-run" } },
    );
    const started = await call(emulator, client, fn.id);
    expect((await finished(emulator, client, fn.id, started.id)).status).toBe("Completed");
    const response = await client.get<{ response: unknown }>(
      path(`/functions/${fn.id}/calls/${started.id}/response`),
    );
    expect(response.data.response).toEqual({ node: "42", mode: "dry-run" });
  });

  it("ends Failed with the message and traceback when the handler raises", async () => {
    const code = `
def handle(data):
    print("before")
    raise ValueError("window 2024-01-01 has no input")
`;
    const fn = await deploy(emulator, client, "raises", { "handler.py": code });
    const done = await finished(emulator, client, fn.id, (await call(emulator, client, fn.id)).id);
    expect(done.status).toBe("Failed");
    expect(done.error?.message).toBe("ValueError: window 2024-01-01 has no input");
    expect(done.error?.trace).toMatch(/Traceback[\s\S]*handler\.py/);
  });

  it("ends Failed when the return value is not JSON serializable", async () => {
    const fn = await deploy(emulator, client, "set", { "handler.py": "def handle():\n    return {1, 2}\n" });
    const done = await finished(emulator, client, fn.id, (await call(emulator, client, fn.id)).id);
    expect(done.status).toBe("Failed");
    expect(done.error?.message).toMatch(/not JSON serializable/);
  });

  it("ends Timeout when the virtual clock passes timeoutMinutes while the call runs", async () => {
    const fn = await deploy(emulator, client, "slow", {
      "handler.py": "import time\ndef handle():\n    time.sleep(60)\n",
    });
    const started = await call(emulator, client, fn.id);
    await emulator.control.advanceClock(9 * 60_000);
    expect((await client.get<CallBody>(path(`/functions/${fn.id}/calls/${started.id}`))).data.status).toBe(
      "Running",
    );
    await emulator.control.advanceClock(2 * 60_000);
    const done = await client.get<CallBody>(path(`/functions/${fn.id}/calls/${started.id}`));
    expect(done.data).toMatchObject({ status: "Timeout", endTime: started.startTime + 10 * 60_000 });
  });

  it("rejects a call without a nonce with 400", async () => {
    const fn = await deploy(emulator, client, "nononce", { "handler.py": ECHO });
    const error = await failure(client.post(path(`/functions/${fn.id}/call`), { data: { data: { x: 1 } } }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/nonce/);
  });

  it("rejects a nonce that was already used", async () => {
    const fn = await deploy(emulator, client, "reuse", { "handler.py": ECHO });
    const once = await nonce(client);
    await client.post(path(`/functions/${fn.id}/call`), { data: { data: { x: 1 }, nonce: once } });
    const error = await failure(
      client.post(path(`/functions/${fn.id}/call`), { data: { data: { x: 1 }, nonce: once } }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/already used/);
  });

  it("rejects a nonce more than 60 s of virtual time old", async () => {
    const fn = await deploy(emulator, client, "stale", { "handler.py": ECHO });
    const old = await nonce(client);
    await emulator.control.advanceClock(61_000);
    const error = await failure(client.post(path(`/functions/${fn.id}/call`), { data: { nonce: old } }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/expired/);
  });

  it("rejects calls to a function that is not Ready", async () => {
    const fileId = await uploadFile(client, zipOf({ "handler.py": ECHO }), "queued-code");
    const fn = await createFunction(emulator, client, { name: "queued", fileId });
    const error = await failure(call(emulator, client, fn.id));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/Queued/);
  });

  it("lists calls newest first, filtered by status", async () => {
    const fn = await deploy(emulator, client, "many", { "handler.py": ECHO });
    const first = await call(emulator, client, fn.id, { x: 1 });
    const second = await call(emulator, client, fn.id, { x: 2 });
    await finished(emulator, client, fn.id, first.id);
    await finished(emulator, client, fn.id, second.id);
    const listed = await client.post<{ items: CallBody[] }>(path(`/functions/${fn.id}/calls/list`), {
      data: { filter: { status: "Completed" } },
    });
    expect(listed.data.items.map((c) => c.id)).toEqual([second.id, first.id]);
  });
});

describe("access (x-capability in openapi.json)", () => {
  const sessions: Capability = { sessionsAcl: { actions: ["CREATE"], scope: { all: {} } } };
  function clientWith(clientId: string, functionsActions: string[]): CogniteClient {
    emulator.control.addClient({
      clientId,
      clientSecret: `${clientId}-secret`,
      capabilities: [{ functionsAcl: { actions: functionsActions, scope: { all: {} } } }, sessions],
    });
    return createTestClient(emulator, { clientId, clientSecret: `${clientId}-secret` });
  }

  it("a call needs functionsAcl:RUN: READ and WRITE alone get a 403 naming it", async () => {
    const fn = await deploy(emulator, client, "guarded", { "handler.py": ECHO });
    const writer = clientWith("functions-writer", ["READ", "WRITE"]);
    const error = await failure(call(emulator, writer, fn.id, { x: 1 }));
    expect(error.status).toBe(403);
    expect(error.message).toContain("functionsAcl:RUN");
  });

  it("a client with functionsAcl READ and RUN can call a function", async () => {
    const fn = await deploy(emulator, client, "runnable", { "handler.py": ECHO });
    const runner = clientWith("functions-runner", ["READ", "RUN"]);
    const started = await call(emulator, runner, fn.id, { x: 1 });
    expect((await finished(emulator, runner, fn.id, started.id)).status).toBe("Completed");
  });

  it("creating a schedule needs functionsAcl:WRITE: RUN alone gets a 403 naming WRITE", async () => {
    const fn = await deploy(emulator, client, "scheduled", { "handler.py": ECHO });
    const runner = clientWith("functions-runner-only", ["READ", "RUN"]);
    const error = await failure(
      runner.post(projectPath(emulator, "/functions/schedules"), {
        data: {
          items: [{ name: "s", cronExpression: "0 * * * *", functionId: fn.id, nonce: await nonce(runner) }],
        },
      }),
    );
    expect(error.status).toBe(403);
    expect(error.message).toContain("functionsAcl:WRITE");
  });
});

describe("list limits (openapi.json)", () => {
  it.each([
    ["/sessions", "between 1 and 1000"],
    ["/functions", "of at least 1"],
    ["/functions/schedules", "of at least 1"],
  ])("GET %s rejects limit 0 with the shared message: an integer %s", async (endpoint, range) => {
    const error = await failure(client.get(projectPath(emulator, endpoint), { params: { limit: 0 } }));
    expect(error.status).toBe(400);
    // The SDK appends " | code: 400 | X-Request-ID: ..." to CDF's message.
    expect(error.message.split(" | ")[0]).toBe(`limit must be an integer ${range} (got "0").`);
  });

  it.each(["/sessions", "/functions", "/functions/schedules"])(
    "GET %s rejects a limit that is not an integer",
    async (endpoint) => {
      const error = await failure(client.get(projectPath(emulator, endpoint), { params: { limit: "ten" } }));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^limit must be an integer .* \(got "ten"\)\. \|/);
    },
  );

  it("GET /sessions allows at most 1,000 (its documented maximum)", async () => {
    const error = await failure(client.get(projectPath(emulator, "/sessions"), { params: { limit: 1001 } }));
    expect(error.message.split(" | ")[0]).toBe('limit must be an integer between 1 and 1000 (got "1001").');
    await client.get(projectPath(emulator, "/sessions"), { params: { limit: 1000 } });
  });

  it.each(["/functions", "/functions/schedules"])(
    "GET %s accepts a limit above 1,000 (LimitQuery has no maximum)",
    async (endpoint) => {
      const response = await client.get(projectPath(emulator, endpoint), { params: { limit: 5000 } });
      expect(response.status).toBe(200);
    },
  );
});

describe("running-call cap", () => {
  let capped: Emulator;
  let cappedClient: CogniteClient;

  emulatorSuite(
    {
      project: "functions-cap",
      contract: functionsContractOptions,
      resetBeforeEach: false,
      settings: {
        deployQueuedMs: DEPLOY_QUEUED_MS,
        deployDeployingMs: DEPLOY_DEPLOYING_MS,
        // CDF's cap is 100 running calls per function; a cap of 2 tests the same rule cheaply.
        maxRunningCallsPerFunction: 2,
      },
    },
    (started) => {
      ({ emulator: capped, client: cappedClient } = started);
    },
  );

  it("answers 429 when the function already has the maximum of running calls", async () => {
    const code = `
import os, time
def handle(data):
    while not os.path.exists(data["release"]):
        time.sleep(0.02)
    return {}
`;
    const release = `${capped.baseUrl.replace(/\W/g, "_")}-release`;
    const releaseFile = `${(await import("node:os")).tmpdir()}/${release}`;
    const fn = await deploy(capped, cappedClient, "blocker", { "handler.py": code });
    const a = await call(capped, cappedClient, fn.id, { release: releaseFile });
    const b = await call(capped, cappedClient, fn.id, { release: releaseFile });
    // The SDK retries 429 (README.md, section "CDF facts"), so read the status with a plain fetch.
    const third = await fetch(`${capped.baseUrl}${projectPath(capped, `/functions/${fn.id}/call`)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${capped.control.token()}`, "content-type": "application/json" },
      body: JSON.stringify({ data: { release: releaseFile }, nonce: await nonce(cappedClient) }),
    });
    expect(third.status).toBe(429);
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(releaseFile, "");
    try {
      expect((await finished(capped, cappedClient, fn.id, a.id)).status).toBe("Completed");
      expect((await finished(capped, cappedClient, fn.id, b.id)).status).toBe("Completed");
    } finally {
      await rm(releaseFile, { force: true });
    }
  });
});

describe("function settings", () => {
  it("default to CDF's 100 running calls per function and a 10-minute real-time cap per call", () => {
    expect(DEFAULT_SETTINGS.maxRunningCallsPerFunction).toBe(100);
    expect(DEFAULT_SETTINGS.functionWallClockCapMs).toBe(10 * 60_000);
  });
});

describe("real-time cap", () => {
  let capped: Emulator;
  let cappedClient: CogniteClient;

  emulatorSuite(
    {
      project: "functions-wall-clock",
      contract: functionsContractOptions,
      settings: {
        deployQueuedMs: DEPLOY_QUEUED_MS,
        deployDeployingMs: DEPLOY_DEPLOYING_MS,
        functionWallClockCapMs: 1_000,
      },
    },
    (started) => {
      ({ emulator: capped, client: cappedClient } = started);
    },
  );

  it("fails a call still running after settings.functionWallClockCapMs of real time", async () => {
    const code = `
import time
def handle(data):
    time.sleep(60)
    return {}
`;
    const fn = await deploy(capped, cappedClient, "sleeper", { "handler.py": code });
    const started = await call(capped, cappedClient, fn.id);
    const done = await finished(capped, cappedClient, fn.id, started.id);
    expect(done.status).toBe("Failed");
    expect(done.error?.message).toContain("after 1 s of real time");
  });
});

describe("real-time cap below python's start-up time", () => {
  let capped: Emulator;
  let cappedClient: CogniteClient;

  emulatorSuite(
    {
      project: "functions-tiny-cap",
      contract: functionsContractOptions,
      settings: {
        deployQueuedMs: DEPLOY_QUEUED_MS,
        deployDeployingMs: DEPLOY_DEPLOYING_MS,
        functionWallClockCapMs: 1,
      },
    },
    (started) => {
      ({ emulator: capped, client: cappedClient } = started);
    },
  );

  it("applies to calls only: the deploy still imports the handler and becomes Ready", async () => {
    const fn = await deploy(capped, cappedClient, "quick", { "handler.py": "def handle():\n    return 1\n" });
    expect(fn.error).toBeUndefined();
    expect(fn.status).toBe("Ready");
    const done = await finished(capped, cappedClient, fn.id, (await call(capped, cappedClient, fn.id)).id);
    expect(done.status).toBe("Failed");
    expect(done.error?.message).toContain("after 0.001 s of real time");
  });
});
